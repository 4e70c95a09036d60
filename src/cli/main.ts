import { WideDeepError } from '../core/errors.js';
import { log } from './args.js';
import { demo } from './demo.js';
import { evaluate } from './evaluate.js';
import { experiment, report } from './experiment.js';
import { fit } from './fit.js';
import { inspect } from './inspect.js';
import { predict } from './predict.js';
import { serve } from './serve.js';
import { exportCommand } from './export.js';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  demo: { summary: 'train Wide & Deep on the embedded synthetic app-store log (no download)', run: demo },
  fit: { summary: 'train from a config: --config f.yaml [--data-dir d] [--out dir] [--seed n] [--json] [--resume] [--warm-start bundle] [--threads n]', run: fit },
  eval: { summary: 'evaluate a model bundle: --model dir [--input labeled-file] [--json] [--threads n]', run: evaluate },
  predict: { summary: 'score rows: --model dir --input file|- [--explain] [--top-k k] [--batch-size n] [--on-bad-row error|skip] [--threads n]', run: predict },
  export: { summary: 'write a bundle as one ONNX graph (weights as initializers): --model dir --out model.onnx', run: exportCommand },
  serve: { summary: 'serve a bundle over HTTP (POST /predict): --model dir [--host h] [--port p] [--max-rows n] [--threads n]', run: serve },
  inspect: { summary: "show a bundle's features, sizes, parameters and strongest wide weights: --model dir [--json]", run: inspect },
  experiment: { summary: 'run a suite of trials (resumable): --suite <name|file.yaml> [--out results.jsonl] [--workers n] [--threads n]', run: experiment },
  report: { summary: 'HTML report + SVG charts of a results file: <results.jsonl> [--out dir] [--table]', run: report },
};

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return ['usage: widedeep <command> [options]', '', ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`)].join('\n');
}

/** The CLI: returns the exit code (0 ok, 1 failure, 2 bad usage or input, 3 partial output: `predict` stopped at a bad row). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    log(`widedeep: unknown command ${name}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof WideDeepError) {
      log(`widedeep ${name}: ${err.message}`);
      return err.code === 'INTERNAL' || err.code === 'RUNTIME' ? 1 : 2;
    }
    throw err;
  }
}
