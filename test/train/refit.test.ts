import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { fitResolved } from '../../src/features/fit.js';
import { modelSizesOf } from '../../src/model/from-spec.js';
import { type ModelState, WideDeepModel } from '../../src/model/wide-deep.js';
import type { TrainConfig } from '../../src/train/config.js';
import { memorySource } from '../../src/train/memory-source.js';
import { checkRefitResume, evalSetOf, fitRun } from '../../src/train/pipeline.js';
import { loadRunData } from '../../src/train/run-data.js';
import { parseRunConfig, type RunConfig } from '../../src/train/run-config.js';
import { evaluateModel, train } from '../../src/train/trainer.js';
import { catchError } from '../data/helpers.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { checkpointOfKilledRun } from '../helpers/kill-resume.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';
import { fileConfig, tempDir, writeCsv } from './stream-fixtures.js';

let dir: string;
let csv: string;
beforeAll(() => {
  dir = tempDir();
  csv = join(dir, 'train.csv');
  writeCsv(csv, 3000, { seed: 1 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config with train keys added. */
function withTrain(raw: Record<string, unknown>, train: Record<string, unknown>): Record<string, unknown> {
  return { ...raw, train: { ...(raw.train as Record<string, unknown>), ...train } };
}

/** The train section without early stopping: what the refit trains with. */
function withoutEarlyStopping(c: TrainConfig): TrainConfig {
  const { earlyStopping: _, ...rest } = c;
  return rest;
}

const weights = (m: WideDeepModel): ModelState['tensors'] => m.exportState('weights').tensors;
const validations = (r: { result: { history: readonly { validation: unknown }[] } }): unknown[] => r.result.history.map((h) => h.validation);

describe('train.refit', () => {
  it('trains a fresh model (same seed) on all training rows for the best epoch count and makes it the final model', async () => {
    const raw = withTrain(smallConfig({ epochs: 6, earlyStopping: true }), { refit: true });
    const config = parseRunConfig(raw);
    const plain = await fitRun(parseRunConfig(withTrain(raw, { refit: false })));
    const logs: string[] = [];
    const refitEpochs: unknown[] = [];
    const r = await fitRun(config, { log: (l) => logs.push(l), events: { onEpoch: (e) => e.refit && refitEpochs.push(e) } });
    expect(plain.refit).toBeNull();

    // The run with the validation split is the plain run; its best epoch sets the refit's epochs.
    expect(validations(r)).toEqual(validations(plain));
    expect(r.result.best).toEqual(plain.result.best);
    expect(r.validation).toEqual(plain.validation);
    const epochs = (plain.result.best?.epoch as number) + 1;
    const data = await loadRunData(config.data, config.seed);
    expect(r.refit?.epochs).toBe(epochs);
    expect(r.refit?.rows).toBe(data.train.numRows);
    expect(r.refit?.steps).toBe(epochs * Math.ceil(data.train.numRows / config.train.batchSize));
    expect(r.refit?.history.map((h) => [h.epoch, h.validation, h.refit])).toEqual(Array.from({ length: epochs }, (_, e) => [e, null, true]));
    expect(refitEpochs).toHaveLength(epochs);
    expect(logs.join('\n')).toContain(`all ${data.train.numRows} training rows (validation rows included) for ${epochs} epochs`);

    // The final model is the one trained from scratch on every training row, validation rows included.
    const spec = await fitResolved(config.features, [data.train]);
    const reference = await WideDeepModel.create(modelSizesOf(spec), config.model, { seed: config.seed });
    await train(reference, memorySource(spec, data.train, config.train.batchSize, config.seed), { ...withoutEarlyStopping(config.train), epochs });
    expect(r.spec).toEqual(spec);
    expect(weights(r.model)).toEqual(weights(reference));
    expect(r.test).toEqual(await evaluateModel(reference, evalSetOf(spec, data.test, data.userColumn)));
    // ... and not the model trained without the validation rows.
    expect(weights(r.model)).not.toEqual(weights(plain.model));
    expect(r.test.auc).not.toBe(plain.test.auc);
    for (const m of [r.model, plain.model, reference]) await m.release();
  });

  it('a refit stops after its epochs with the learning-rate schedule still spanning train.epochs', async () => {
    const config = parseRunConfig(withTrain(smallConfig({ epochs: 4 }), { schedule: { kind: 'cosine' } }));
    const data = await loadRunData(config.data, config.seed);
    const spec = await fitResolved(config.features, [data.train]);
    const source = memorySource(spec, data.train, config.train.batchSize, config.seed);
    const create = (): Promise<WideDeepModel> => WideDeepModel.create(modelSizesOf(spec), config.model, { seed: config.seed });
    const [stopped, whole, short] = [await create(), await create(), await create()];
    const r = await train(stopped, source, config.train, { stopAfterEpochs: 2 });
    expect(r.history).toHaveLength(2);
    let atEpoch2: ModelState | undefined;
    await train(whole, source, config.train, { events: { onCheckpoint: (s, t) => void (t.epochsDone === 2 && (atEpoch2 = s)) } });
    await train(short, source, { ...config.train, epochs: 2 });
    expect(stopped.exportState('full').tensors).toEqual(atEpoch2?.tensors);
    // A schedule squeezed into two epochs decays faster: another model.
    expect(weights(short)).not.toEqual(weights(stopped));
    for (const m of [stopped, whole, short]) await m.release();
  });

  it('needs early stopping and a validation split, and no maxSteps: config errors naming train.refit', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [withTrain(smallConfig(), { refit: true }), /add train\.earlyStopping/],
      [withTrain(smallConfig({ earlyStopping: true }), { refit: true, validationFraction: 0 }), /set train\.validationFraction > 0/],
      [withTrain(smallConfig({ earlyStopping: true }), { refit: true, maxSteps: 50 }), /set train\.maxSteps: 0/],
    ];
    for (const [raw, fix] of cases) {
      const e = await catchError(() => parseRunConfig(raw));
      expect(e.details.field).toBe('train.refit');
      expect(e.message).toContain('train.refit');
      expect(e.details.fix).toMatch(fix);
      expect(e.details.fix).toContain('train.refit: false');
    }
    // A RunConfig built by hand, without parsing, is checked by fitRun before it trains.
    const built = parseRunConfig(smallConfig({ earlyStopping: true }));
    const unparsed = await catchError(() => fitRun({ ...built, train: { ...withoutEarlyStopping(built.train), refit: true } }));
    expect(unparsed.details.field).toBe('train.refit');
    expect(unparsed.details.fix).toMatch(/add train\.earlyStopping/);
    const bad = await catchError(() => parseRunConfig(withTrain(smallConfig(), { refit: 'yes' })));
    expect(bad.details.field).toBe('train.refit');
    expect(bad.details.fix).toContain('refit');
  });

  it('resumed after any epoch (also the one that stopped early), a refit run ends as an uninterrupted one', async () => {
    const config = parseRunConfig(withTrain(smallConfig({ epochs: 20, earlyStopping: true }), { refit: true }));
    const whole = await fitRun(config);
    expect(whole.result.stoppedEarly).toBe(true);
    const last = whole.result.history.length;
    for (const killAfter of [2, last]) {
      const saved = await checkpointOfKilledRun(config, killAfter);
      const resumed = await fitRun(config, { resume: saved });
      expect(validations(resumed)).toEqual(validations(whole));
      expect(resumed.result.stoppedEarly).toBe(true);
      expect(resumed.refit?.epochs).toBe(whole.refit?.epochs);
      expect(resumed.test).toEqual(whole.test);
      expect(weights(resumed.model)).toEqual(weights(whole.model));
      await resumed.model.release();
    }
    await whole.model.release();
  });

  it('a warm start starts both models; a resume must be warm-started as the checkpointed run was', async () => {
    const first = await fitRun(parseRunConfig(smallConfig({ epochs: 1 })));
    const previous = { spec: first.spec, state: first.model.exportState('weights') };
    const config = parseRunConfig(withTrain(smallConfig({ seed: 9, epochs: 4, earlyStopping: true }), { refit: true }));
    const { warmStart } = await import('../../src/train/warm-start.js');
    const started: number[] = [];
    const r = await fitRun(config, { warmStart: (m, s) => started.push(warmStart(m, s, previous).copiedRows) });
    expect(started).toHaveLength(2);
    expect(started.every((n) => n > 0)).toBe(true);
    const cold = await fitRun(config);
    expect(weights(r.model)).not.toEqual(weights(cold.model));
    for (const m of [first.model, r.model, cold.model]) await m.release();

    expect(() => checkRefitResume(config, { warmStart: null, warmStartedFrom: null })).not.toThrow();
    expect(() => checkRefitResume(config, { warmStart: '/a/model', warmStartedFrom: '/a/model' })).not.toThrow();
    expect(() => checkRefitResume(config, { warmStart: null })).not.toThrow(); // a checkpoint that does not record it
    const e = await catchError(() => checkRefitResume(config, { warmStart: null, warmStartedFrom: '/a/model' }));
    expect(e.details.field).toBe('train.refit');
    expect(e.details.fix).toBe('resume with --warm-start /a/model');
    const off = parseRunConfig(smallConfig({ epochs: 1 }));
    expect(() => checkRefitResume(off, { warmStart: null, warmStartedFrom: '/a/model' })).not.toThrow();
  });

  it('stream mode: the refit trains on the training and validation rows of the file and scores the same test rows', async () => {
    const raw = withTrain(fileConfig({ train: csv, stream: { shuffleBuffer: 500, chunkSize: 256 }, epochs: 4, earlyStopping: true }), { refit: true });
    const plain = await fitRun(parseRunConfig(withTrain(raw, { refit: false })));
    const logs: string[] = [];
    const r = await fitRun(parseRunConfig(raw), { log: (l) => logs.push(l) });
    const rows = (r.data.fingerprint as { rows: { train: number; validation: number; test: number } }).rows;
    expect(r.refit?.rows).toBe(rows.train + rows.validation);
    expect(r.refit?.epochs).toBe((plain.result.best?.epoch as number) + 1);
    expect(r.test.count).toBe(rows.test);
    expect(r.test.count).toBe(plain.test.count);
    expect(logs.some((l) => l.startsWith('refit: stream') && l.includes(`${rows.train + rows.validation} training rows, 0 validation rows`))).toBe(true);
    expect(weights(r.model)).not.toEqual(weights(plain.model));
    for (const m of [r.model, plain.model]) await m.release();
  });

  it('widedeep fit: epoch lines of the refit, the final line and the bundle say what the refit did; resume checks the warm start', async () => {
    const [cdir, path] = writeConfig(withTrain(smallConfig({ epochs: 3, earlyStopping: true }), { refit: true }));
    const out = join(cdir, 'run');
    const fit = await runCli(['fit', '--config', path, '--out', out, '--json']);
    expect(fit.code).toBe(0);
    const lines = jsonLines(fit.stdout);
    const final = lines.find((l) => l.event === 'final') as { refit: { epochs: number; rows: number; steps: number }; best: { epoch: number }; test: { auc: number } };
    expect(final.refit.epochs).toBe(final.best.epoch + 1);
    const config: RunConfig = parseRunConfig(withTrain(smallConfig({ epochs: 3, earlyStopping: true }), { refit: true }));
    expect(final.refit.rows).toBe((await loadRunData(config.data, config.seed)).train.numRows);
    expect(lines.filter((l) => l.event === 'epoch' && l.refit === true)).toHaveLength(final.refit.epochs);
    expect(fit.stderr).toContain('refit: a fresh model on all');
    const manifest = JSON.parse(readFileSync(join(await currentDir(join(out, 'model')), 'manifest.json'), 'utf8')) as { metrics: { refit: { epochs: number } } };
    expect(manifest.metrics.refit.epochs).toBe(final.refit.epochs);

    const wrong = await runCli(['fit', '--config', path, '--out', out, '--json', '--resume', '--warm-start', join(out, 'model')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('train.refit: the checkpointed run was not warm-started');
    const resumed = await runCli(['fit', '--config', path, '--out', out, '--json', '--resume']);
    expect(resumed.code).toBe(0);
    expect((jsonLines(resumed.stdout).find((l) => l.event === 'final') as { test: unknown }).test).toEqual(final.test);
    rmSync(cdir, { recursive: true, force: true });
  });
});
