import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { WideDeepModel } from '../../src/model/wide-deep.js';
import { ContinuousTrainer, type StreamRunResult, type StreamSchedule } from '../../src/stream/continuous-trainer.js';
import { KafkaSource } from '../../src/stream/kafka-source.js';
import { readCheckpoint } from '../../src/stream/stream-checkpoint.js';
import { streamModel } from '../../src/stream/stream-model.js';
import { parseRunConfig, type RunConfig } from '../../src/train/run-config.js';
import { streamConfig } from './fixture.js';

/** The stream tests' config, parsed. */
export function parsedConfig(): RunConfig {
  return parseRunConfig(streamConfig());
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'wd-stream-'));
}

/**
 * One run of the continuous trainer in this process over a Kafka topic, as `widedeep train-stream` does it:
 * from the checkpoint in `outDir` when there is one, until the topic has been idle for 2 s.
 */
export async function trainFromKafka(o: { config: RunConfig; bootstrap: string; topic: string; outDir: string; schedule?: StreamSchedule; onBadRow?: 'error' | 'skip'; lines?: string[] }): Promise<StreamRunResult & { model: WideDeepModel; spec: FittedSpec }> {
  const url = `kafka://${o.bootstrap}/${o.topic}`;
  const log = (l: string): void => void o.lines?.push(l);
  const checkpoint = await readCheckpoint(o.outDir, o.config, url);
  const { model, spec } = await streamModel(o.config, { checkpoint, log });
  try {
    const source = new KafkaSource({ brokers: o.bootstrap.split(','), topic: o.topic, groupId: `g-${o.topic}`, log, sessionTimeoutMs: 6000 });
    const trainer = new ContinuousTrainer({
      config: o.config, spec, model, source, log, sourceUrl: url, outDir: o.outDir,
      resume: checkpoint?.progress ?? null,
      schedule: { idleExitSeconds: 2, lingerMs: 5000, ...o.schedule },
      ...(o.onBadRow !== undefined ? { onBadRow: o.onBadRow } : {}),
    });
    return { ...(await trainer.run()), model, spec };
  } catch (err) {
    await model.release();
    throw err;
  }
}
