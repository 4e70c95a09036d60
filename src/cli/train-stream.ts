import { basename, resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { type StreamStatus, ContinuousTrainer, type StreamSchedule } from '../stream/continuous-trainer.js';
import { openSource } from '../stream/open-source.js';
import { parseSourceUrl } from '../stream/source-url.js';
import { readCheckpoint } from '../stream/stream-checkpoint.js';
import { streamModel } from '../stream/stream-model.js';
import { loadRunConfig } from '../train/run-config.js';
import { badRowFlag, flags, intFlag, log, out, required, threadsFlag } from './args.js';
import { TRAIN_STREAM_OPTIONS } from './options/train-stream.js';

/** A positive number flag (seconds may be fractional), or undefined when absent. */
function positive(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = integer ? intFlag(value, flag) : Number(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) {
    throw new WideDeepError('CONFIG', `--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`, { field: `--${flag}`, fix: `e.g. --${flag} ${integer ? 10000 : 30}` });
  }
  return n;
}

function scheduleOf(v: Record<string, string | boolean | undefined>): StreamSchedule {
  const s = (flag: string, integer: boolean): number | undefined => positive(v[flag] as string | undefined, flag, integer);
  const entries: [keyof StreamSchedule, number | undefined][] = [
    ['checkpointEveryEvents', s('checkpoint-every-events', true)],
    ['checkpointEverySeconds', s('checkpoint-every-seconds', false) ?? 60],
    ['publishEveryEvents', s('publish-every-events', true)],
    ['publishEverySeconds', s('publish-every-seconds', false) ?? 60],
    ['maxEvents', s('max-events', true)],
    ['idleExitSeconds', s('idle-exit-seconds', false)],
    ['lingerMs', s('linger-ms', false)],
  ];
  return Object.fromEntries(entries.filter(([, x]) => x !== undefined)) as StreamSchedule;
}

function statusLine(s: StreamStatus): string {
  const lag = s.lag === null ? '?' : String(s.lag);
  const published = s.lastPublishMs === null ? 'none yet' : `${((Date.now() - s.lastPublishMs) / 1000).toFixed(0)}s ago (${s.publishes})`;
  return `events ${s.events} (${s.eventsPerSec.toFixed(0)}/s)  lag ${lag}  loss ${s.loss.toFixed(4)}  skipped ${s.skipped}  last publish ${published}`;
}

/**
 * `widedeep train-stream`: continuous training from a Kafka topic or a JetStream stream (src/stream/). Restarts
 * continue from `<out>/checkpoint`; SIGTERM and SIGINT finish the mini-batch in hand, checkpoint, publish and
 * exit 0.
 */
export async function trainStream(argv: string[]): Promise<number> {
  const { values } = flags('train-stream', argv, TRAIN_STREAM_OPTIONS);
  // The flags first: a mistake there is reported before the config is read.
  const sourceArg = required('train-stream', values.source, 'source');
  const url = parseSourceUrl(sourceArg);
  const outDir = resolve(required('train-stream', values.out, 'out'));
  const threads = threadsFlag(values.threads);
  const onBadRow = badRowFlag(values['on-bad-row']);
  const schedule = scheduleOf(values);
  const config = await loadRunConfig(required('train-stream', values.config, 'config'));
  const checkpoint = await readCheckpoint(outDir, config, sourceArg);
  const { model, spec } = await streamModel(config, {
    checkpoint,
    log,
    ...(values['warm-start'] !== undefined ? { warmStartDir: values['warm-start'] } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const report = (s: StreamStatus): void => (values.json ? out(JSON.stringify({ event: 'progress', ...s })) : log(statusLine(s)));
  try {
    const session = positive(values['session-timeout-seconds'], 'session-timeout-seconds', false);
    const source = openSource(url, { group: values.group ?? `widedeep-${basename(outDir)}`, log, ...(session !== undefined ? { sessionTimeoutMs: Math.round(session * 1000) } : {}) });
    const trainer = new ContinuousTrainer({
      config, spec, model, source, outDir, schedule, log, onStatus: report,
      resume: checkpoint?.progress ?? null,
      sourceUrl: sourceArg,
      signal: stop.signal,
      ...(values['id-field'] !== undefined ? { idField: values['id-field'] } : {}),
      ...(onBadRow !== undefined ? { onBadRow } : {}),
    });
    const r = await trainer.run();
    const final = { event: 'final', ...r, out: outDir };
    if (values.json) out(JSON.stringify(final));
    else log(`stopped: ${statusLine(r)}; ${r.progress.ledger.events} events trained in all, checkpoint and model in ${outDir}`);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await model.release();
  }
}
