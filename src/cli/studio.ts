import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { DEFAULT_PORT } from '../studio/defaults.js';
import { startStudio } from '../studio/server.js';
import { flags, intFlag, log, out } from './args.js';
import { STUDIO_OPTIONS } from './options/studio.js';

/**
 * `widedeep studio`: a local web app on 127.0.0.1 to look at the runs and experiments under --runs and, with
 * --model, at a model and what it predicts for a row edited in the page (src/studio, docs/STUDIO.md). Prints
 * one line with the URL, then serves until SIGINT or SIGTERM and closes cleanly.
 */
export async function studio(argv: string[]): Promise<number> {
  const { values } = flags('studio', argv, STUDIO_OPTIONS);
  const port = intFlag(values.port, 'port') ?? DEFAULT_PORT;
  if (port < 0 || port > 65535) throw new WideDeepError('CONFIG', `--port must be 0 to 65535, got ${port}`, { field: '--port', fix: 'e.g. --port 8765, or --port 0 for any free port' });
  const runsDir = resolve(values.runs);
  if (!existsSync(runsDir)) log(`widedeep studio: warning: ${runsDir} does not exist yet; the runs view stays empty until a fit writes there (fix: --runs <dir>)`);
  const modelDir = values.model !== undefined ? resolve(values.model) : undefined;
  if (modelDir !== undefined && !existsSync(modelDir)) {
    throw new WideDeepError('IO', `no model bundle at ${modelDir}`, { file: modelDir, field: '--model', fix: 'give the model directory widedeep fit wrote (<out>/model), or leave --model out' });
  }
  const running = await startStudio({ runsDir, ...(modelDir !== undefined ? { modelDir } : {}), host: values.host, port, log });
  out(JSON.stringify({ event: 'listening', url: running.url, runs: runsDir, model: modelDir ?? null }));
  log(`widedeep studio: open ${running.url} (Ctrl-C stops it)${modelDir === undefined ? '; no --model: the model and what-if views say how to give one' : ''}`);
  const signal = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  await running.close();
  log(`widedeep studio: ${signal}: stopped`);
  return 0;
}
