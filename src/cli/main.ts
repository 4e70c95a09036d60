import { WideDeepError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { log, out } from './args.js';
import { type Command, commandHelp, wantsHelp } from './command.js';
import { DEMO_OPTIONS, demo } from './demo.js';
import { EVAL_OPTIONS, evaluate } from './evaluate.js';
import { EXPERIMENT_OPTIONS, REPORT_OPTIONS, experiment, report } from './experiment.js';
import { FIT_OPTIONS, fit } from './fit.js';
import { INIT_OPTIONS, init } from './init.js';
import { INSPECT_OPTIONS, inspect } from './inspect.js';
import { PREDICT_OPTIONS, predict } from './predict.js';
import { SERVE_OPTIONS, serve } from './serve.js';
import { EXPORT_OPTIONS, exportCommand } from './export.js';
import { SCORE_OPTIONS, score } from './score.js';
import { STUDIO_OPTIONS, studio } from './studio.js';
import { TRAIN_STREAM_OPTIONS, trainStream } from './train-stream.js';
import { WORKER_OPTIONS, worker } from './worker.js';

/**
 * The command table, `widedeep <name>`: one Command (src/cli/command.ts) per name. Its `options` table is the
 * one `run` parses with `flags()` and the one `widedeep <name> --help` prints, so the two cannot drift.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  demo: { summary: 'train Wide & Deep on the embedded synthetic app-store log (no download)', options: DEMO_OPTIONS, example: 'widedeep demo --rows 20000 --epochs 2', run: demo },
  init: { summary: 'write a commented config from a look at your data', options: INIT_OPTIONS, example: 'widedeep init --data examples/clicks.csv --label clicked --out clicks.yaml', run: init },
  fit: { summary: 'train from a config and write the model bundle', options: FIT_OPTIONS, example: 'widedeep fit --config examples/adult.yaml --out runs/adult', run: fit },
  eval: { summary: 'evaluate a model bundle on its test split or a labeled file', options: EVAL_OPTIONS, example: 'widedeep eval --model runs/adult/model --json', run: evaluate },
  predict: { summary: 'score rows, one JSON line per row', options: PREDICT_OPTIONS, example: 'widedeep predict --model runs/adult/model --input rows.jsonl --explain --top-k 3', run: predict },
  export: { summary: 'write a bundle as one ONNX graph (weights as initializers)', options: EXPORT_OPTIONS, example: 'widedeep export --model runs/adult/model --out adult.onnx', run: exportCommand },
  serve: { summary: 'serve a bundle over HTTP (POST /predict)', options: SERVE_OPTIONS, example: 'widedeep serve --model runs/adult/model --port 8080', run: serve },
  inspect: { summary: "show a bundle's features, sizes, parameters and strongest wide weights", options: INSPECT_OPTIONS, example: 'widedeep inspect --model runs/adult/model --top 20', run: inspect },
  experiment: { summary: 'run a suite of trials (resumable)', options: EXPERIMENT_OPTIONS, example: 'widedeep experiment --suite memorization --workers 2', run: experiment },
  report: { summary: 'HTML report + SVG charts of a results file', positionals: '<results.jsonl>', options: REPORT_OPTIONS, example: 'widedeep report runs/experiments/memorization.jsonl --out report', run: report },
  studio: { summary: 'a local web app to look at runs, experiments and a model (127.0.0.1)', options: STUDIO_OPTIONS, example: 'widedeep studio --runs runs --model runs/adult/model', run: studio },
  score: { summary: 'score a file larger than memory in parallel into one Parquet file, in input order', options: SCORE_OPTIONS, example: 'widedeep score --model runs/adult/model --input big.csv --out scores.parquet', run: score },
  worker: { summary: 'run queued trials and scoring jobs from a BullMQ queue (Redis)', options: WORKER_OPTIONS, example: 'widedeep worker --queue redis://127.0.0.1:6379', run: worker },
  'train-stream': { summary: 'train continuously from a Kafka topic or a NATS JetStream stream, publishing bundles', options: TRAIN_STREAM_OPTIONS, example: 'widedeep train-stream --config examples/synthetic.yaml --source kafka://127.0.0.1:9092/clicks --out runs/live', run: trainStream },
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
