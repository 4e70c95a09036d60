import { basename, resolve } from 'node:path';
import { WideDeepError } from '../core/errors.js';
import { type StreamStatus, ContinuousTrainer, type StreamSchedule } from '../stream/continuous-trainer.js';
import { openSource } from '../stream/open-source.js';
import { parseSourceUrl } from '../stream/source-url.js';
import { readCheckpoint } from '../stream/stream-checkpoint.js';
import { streamModel } from '../stream/stream-model.js';
import { loadRunConfig } from '../train/run-config.js';
import { THREADS_OPTION, badRowFlag, flags, intFlag, log, out, required, threadsFlag } from './args.js';

export const TRAIN_STREAM_OPTIONS = {
  config: { type: 'string', value: 'file', required: true, help: 'the run config: features, model, train.batchSize and optimizers (docs/CONFIG.md)' },
  source: { type: 'string', value: 'url', required: true, help: 'kafka://broker:9092,broker2:9092/topic or nats://host:4222/stream[?subject=s]' },
  out: { type: 'string', value: 'dir', required: true, help: 'the run directory: <dir>/checkpoint (model + positions) and <dir>/model (what serve --watch follows)' },
  group: { type: 'string', value: 'id', help: 'Kafka consumer group (one trainer per group)', shown: 'widedeep-<basename of --out>' },
  'session-timeout-seconds': { type: 'string', value: 't', help: "Kafka: how soon the group gives a dead trainer's partitions to its restart", shown: '30' },
  'warm-start': { type: 'string', value: 'bundle-dir', help: "on a first start, take the feature spec and weights from this bundle instead of fitting the spec on the config's data" },
  'checkpoint-every-events': { type: 'string', value: 'n', help: 'checkpoint after this many events' },
  'checkpoint-every-seconds': { type: 'string', value: 't', help: 'checkpoint at least this often while events come', shown: '60' },
  'publish-every-events': { type: 'string', value: 'n', help: 'publish a new version of <out>/model after this many events (a checkpoint comes first)' },
  'publish-every-seconds': { type: 'string', value: 't', help: 'publish at least this often while events come', shown: '60' },
  'max-events': { type: 'string', value: 'n', help: 'stop after reading this many events' },
  'idle-exit-seconds': { type: 'string', value: 't', help: 'stop once no event has come for this long' },
  'linger-ms': { type: 'string', value: 'ms', help: 'how long a partial mini-batch waits for more events before training', shown: '500' },
  'id-field': { type: 'string', value: 'name', help: "the event field the ledger's checksum sums", shown: 'id' },
  'on-bad-row': { type: 'string', value: 'error|skip', help: "a bad event stops the run naming its partition and offset (error), or is left out and counted (skip)", shown: "the config's features.onBadRow" },
  json: { type: 'boolean', default: false, help: 'JSON lines on stdout (progress, a final one)' },
  ...THREADS_OPTION,
} as const;

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
