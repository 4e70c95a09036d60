import { WideDeepError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { log, out } from './args.js';
import { type Command, commandHelp, wantsHelp } from './command.js';
import { DEMO_OPTIONS } from './options/demo.js';
import { EVAL_OPTIONS } from './options/evaluate.js';
import { EXPERIMENT_OPTIONS, REPORT_OPTIONS } from './options/experiment.js';
import { EXPORT_OPTIONS } from './options/export.js';
import { FIT_OPTIONS } from './options/fit.js';
import { INIT_OPTIONS } from './options/init.js';
import { INSPECT_OPTIONS } from './options/inspect.js';
import { PREDICT_OPTIONS } from './options/predict.js';
import { SCORE_OPTIONS } from './options/score.js';
import { SERVE_OPTIONS } from './options/serve.js';
import { STUDIO_OPTIONS } from './options/studio.js';
import { TRAIN_STREAM_OPTIONS } from './options/train-stream.js';
import { WORKER_OPTIONS } from './options/worker.js';

/**
 * The command table, `widedeep <name>`: one Command (src/cli/command.ts) per name. Its `options` table is the
 * one `run` parses with `flags()` and the one `widedeep <name> --help` prints, so the two cannot drift.
 * The tables come from src/cli/options/, which import nothing heavy; each `run` imports its command's module
 * when called, so a process loads only the graph of the command it runs (DuckDB, ONNX Runtime, Fastify,
 * BullMQ, KafkaJS ... load when a command needs them, never for `--help`). Measured on the transpiled tree the
 * tests run: `widedeep --help` 1.4 s of CPU before, 0.15 s after; `predict` 1.7 s, 1.1 s
 * (test/cli/cli-startup.test.ts checks what each loads).
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  demo: {
    summary: 'train Wide & Deep on the embedded synthetic app-store log (no download)',
    options: DEMO_OPTIONS,
    example: 'widedeep demo --rows 20000 --epochs 2',
    run: async (argv) => (await import('./demo.js')).demo(argv),
  },
  init: {
    summary: 'write a commented config from a look at your data',
    options: INIT_OPTIONS,
    example: 'widedeep init --data examples/clicks.csv --label clicked --out clicks.yaml',
    run: async (argv) => (await import('./init.js')).init(argv),
  },
  fit: {
    summary: 'train from a config and write the model bundle',
    options: FIT_OPTIONS,
    example: 'widedeep fit --config examples/adult.yaml --out runs/adult',
    run: async (argv) => (await import('./fit.js')).fit(argv),
  },
  eval: {
    summary: 'evaluate a model bundle on its test split or a labeled file',
    options: EVAL_OPTIONS,
    example: 'widedeep eval --model runs/adult/model --json',
    run: async (argv) => (await import('./evaluate.js')).evaluate(argv),
  },
  predict: {
    summary: 'score rows, one JSON line per row',
    options: PREDICT_OPTIONS,
    example: 'widedeep predict --model runs/adult/model --input rows.jsonl --explain --top-k 3',
    run: async (argv) => (await import('./predict.js')).predict(argv),
  },
  export: {
    summary: 'write a bundle as one ONNX graph (weights as initializers)',
    options: EXPORT_OPTIONS,
    example: 'widedeep export --model runs/adult/model --out adult.onnx',
    run: async (argv) => (await import('./export.js')).exportCommand(argv),
  },
  serve: {
    summary: 'serve a bundle over HTTP (POST /predict)',
    options: SERVE_OPTIONS,
    example: 'widedeep serve --model runs/adult/model --port 8080',
    run: async (argv) => (await import('./serve.js')).serve(argv),
  },
  inspect: {
    summary: "show a bundle's features, sizes, parameters and strongest wide weights",
    options: INSPECT_OPTIONS,
    example: 'widedeep inspect --model runs/adult/model --top 20',
    run: async (argv) => (await import('./inspect.js')).inspect(argv),
  },
  experiment: {
    summary: 'run a suite of trials (resumable)',
    options: EXPERIMENT_OPTIONS,
    example: 'widedeep experiment --suite memorization --workers 2',
    run: async (argv) => (await import('./experiment.js')).experiment(argv),
  },
  report: {
    summary: 'HTML report + SVG charts of a results file',
    positionals: '<results.jsonl>',
    options: REPORT_OPTIONS,
    example: 'widedeep report runs/experiments/memorization.jsonl --out report',
    run: async (argv) => (await import('./experiment.js')).report(argv),
  },
  studio: {
    summary: 'a local web app to look at runs, experiments and a model (127.0.0.1)',
    options: STUDIO_OPTIONS,
    example: 'widedeep studio --runs runs --model runs/adult/model',
    run: async (argv) => (await import('./studio.js')).studio(argv),
  },
  score: {
    summary: 'score a file larger than memory in parallel into one Parquet file, in input order',
    options: SCORE_OPTIONS,
    example: 'widedeep score --model runs/adult/model --input big.csv --out scores.parquet',
    run: async (argv) => (await import('./score.js')).score(argv),
  },
  worker: {
    summary: 'run queued trials and scoring jobs from a BullMQ queue (Redis)',
    options: WORKER_OPTIONS,
    example: 'widedeep worker --queue redis://127.0.0.1:6379',
    run: async (argv) => (await import('./worker.js')).worker(argv),
  },
  'train-stream': {
    summary: 'train continuously from a Kafka topic or a NATS JetStream stream, publishing bundles',
    options: TRAIN_STREAM_OPTIONS,
    example: 'widedeep train-stream --config examples/synthetic.yaml --source kafka://127.0.0.1:9092/clicks --out runs/live',
    run: async (argv) => (await import('./train-stream.js')).trainStream(argv),
  },
};

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: widedeep <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'widedeep <command> --help  lists the options of a command; widedeep --version prints the version',
  ].join('\n');
}

/**
 * The CLI: returns the exit code (0 ok, 1 failure, 2 bad usage or input, 3 partial output: `predict` stopped
 * at a bad row). Under `--json` an error is one JSON object on stderr (`errorJson`), else one line.
 */
export async function main(argv: string[]): Promise<number> {
  quietOnClosedStdout();
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    out(VERSION);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    log(`widedeep: unknown command ${name}\n\n${help()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    out(commandHelp(name, command));
    return 0;
  }
  const json = rest.includes('--json');
  try {
    return await command.run(rest);
  } catch (err) {
    if (json) {
      log(JSON.stringify(errorJson(err)));
      return exitCode(err);
    }
    if (err instanceof WideDeepError) {
      log(`widedeep ${name}: ${err.message}`);
      return exitCode(err);
    }
    throw err;
  }
}

/** 1 for a runtime failure or a bug, 2 for bad usage or input. */
function exitCode(err: unknown): number {
  return err instanceof WideDeepError && err.code !== 'INTERNAL' && err.code !== 'RUNTIME' ? 2 : 1;
}

/** An error as `--json` writes it: `{"event":"error","code","message","file"?,"row"?,"field"?,"fix"?}`. */
export function errorJson(err: unknown): Record<string, unknown> {
  if (!(err instanceof WideDeepError)) return { event: 'error', code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  const { file, row, field, fix } = err.details;
  return { event: 'error', code: err.code, message: err.reason, ...(file !== undefined ? { file } : {}), ...(row !== undefined ? { row } : {}), ...(field !== undefined ? { field } : {}), ...(fix !== undefined ? { fix } : {}) };
}

let stdoutGuarded = false;

/**
 * A reader that closes stdout early (`widedeep predict ... | head`) makes the next write fail with EPIPE: the
 * output is no longer wanted, so the process ends there, exit 0, without a stack trace.
 */
function quietOnClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
