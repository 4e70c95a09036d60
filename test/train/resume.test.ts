import { describe, expect, it } from 'vitest';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { warmStart } from '../../src/train/warm-start.js';
import { checkpointOfKilledRun } from '../helpers/kill-resume.js';
import { smallConfig } from '../helpers/small-config.js';

describe('training runs', () => {
  it('same seed, same metrics; another seed, other metrics', async () => {
    const a = await fitRun(parseRunConfig(smallConfig()));
    const b = await fitRun(parseRunConfig(smallConfig()));
    const c = await fitRun(parseRunConfig(smallConfig({ seed: 4 })));
    expect(b.test).toEqual(a.test);
    expect(c.test.auc).not.toBe(a.test.auc);
    for (const r of [a, b, c]) await r.model.release();
  });

  it('a regression run on data with users evaluates (ranking metrics are for binary objectives only)', async () => {
    const raw = smallConfig({ epochs: 1 });
    const features = raw.features as Record<string, unknown>;
    const r = await fitRun(parseRunConfig({ ...raw, features: { ...features, label: { kind: 'regression', column: 'age' } } }));
    expect(Number.isFinite(r.test.rmse)).toBe(true);
    expect(Object.keys(r.test).some((k) => k.startsWith('ndcg'))).toBe(false);
    await r.model.release();
  });

  it('a regression label with an event is also scored as a ranking of that event (AUC, per-user metrics)', async () => {
    const raw = smallConfig({ epochs: 1 });
    const features = raw.features as Record<string, unknown>;
    const label = { kind: 'regression', column: 'age', event: { op: '>=', value: 40 } };
    const r = await fitRun(parseRunConfig({ ...raw, features: { ...features, label } }));
    const { test } = r;
    expect(test.auc).toBeGreaterThan(0.5); // age is also a feature: the event is easy to rank
    expect(test.eventRate).toBeGreaterThan(0);
    expect(test['ndcg@10']).toBeGreaterThan(0);
    expect(Number.isFinite(test.rmse)).toBe(true);
    expect(r.spec.label).toEqual({ kind: 'regression', column: 'age', event: { op: '>=', value: 40 }, weight: null });
    await r.model.release();
  });

  it('a run killed after epoch 2 and resumed from its checkpoint ends exactly like an uninterrupted one', async () => {
    const config = parseRunConfig(smallConfig({ epochs: 4, earlyStopping: true }));
    const whole = await fitRun(config);
    const saved = await checkpointOfKilledRun(config, 2);
    expect(saved.trainer.epochsDone).toBe(2);
    const resumed = await fitRun(config, { resume: saved });
    expect(resumed.result.history.map((h) => h.validation)).toEqual(whole.result.history.map((h) => h.validation));
    expect(resumed.test).toEqual(whole.test);
    await whole.model.release();
    await resumed.model.release();
  });

  it('a resumed run without restore-best checkpoints its current state at a new best epoch, not the stored best', async () => {
    const raw = smallConfig({ epochs: 4 });
    const config = parseRunConfig({ ...raw, train: { ...(raw.train as object), earlyStopping: { metric: 'auc', mode: 'max', patience: 3, restoreBest: false } } });
    const saved = await checkpointOfKilledRun(config, 2);
    // The stored best is an earlier state; a best value of 0 makes the next epoch a new best.
    const stale = saved.model;
    const checkpoints: { steps: number; isBest: boolean }[] = [];
    const r = await fitRun(config, {
      resume: { ...saved, best: stale, trainer: { ...saved.trainer, best: { value: 0, epoch: 0 } } },
      events: { onCheckpoint: (state, _t, isBest) => void checkpoints.push({ steps: state.steps, isBest }) },
    });
    expect(checkpoints[0]?.isBest).toBe(true);
    expect(checkpoints[0]?.steps).toBeGreaterThan(stale.steps);
    expect(checkpoints[checkpoints.length - 1]?.steps).toBe(r.result.steps);
    await r.model.release();
  });

  it('warm start keeps the weights of known ids and starts new ones fresh', async () => {
    const first = await fitRun(parseRunConfig(smallConfig({ epochs: 3 })));
    const previous = { spec: first.spec, state: first.model.exportState('weights') };
    // New data (another seed): refitted vocabularies overlap with the old ones but are not identical.
    const next = parseRunConfig(smallConfig({ seed: 9, epochs: 1 }));
    let report: ReturnType<typeof warmStart> | undefined;
    let firstLoss = 0;
    const appOld = first.spec.columns.find((c) => c.name === 'app_id') as { encoding: { values: string[] } };
    const oldTable = first.model.embedded.find((e) => e.key === 'app_id')!.table;
    const checked: string[] = [];
    const warm = await fitRun(next, {
      warmStart: (m, s) => {
        report = warmStart(m, s, previous);
        // Every app both vocabularies know keeps its embedding row; the OOV row 0 too.
        const appNew = s.columns.find((c) => c.name === 'app_id') as { encoding: { values: string[] } };
        const table = m.embedded.find((e) => e.key === 'app_id')!.table;
        appNew.encoding.values.forEach((v, i) => {
          const old = appOld.encoding.values.indexOf(v);
          if (old < 0) return;
          expect(Array.from(table.readRow(i + 1))).toEqual(Array.from(oldTable.readRow(old + 1)));
          checked.push(v);
        });
      },
      events: { onEpoch: (r) => (firstLoss = firstLoss || r.trainLoss) },
    });
    let coldLoss = 0;
    const cold = await fitRun(next, { events: { onEpoch: (r) => (coldLoss = coldLoss || r.trainLoss) } });
    expect(report!.copiedRows).toBeGreaterThan(100);
    expect(report!.freshRows).toBeGreaterThan(0);
    expect(report!.copiedDense.length).toBeGreaterThan(0);
    expect(checked.length).toBeGreaterThan(50);
    expect(firstLoss).toBeLessThan(coldLoss);
    for (const r of [first, warm, cold]) await r.model.release();
  });
});
