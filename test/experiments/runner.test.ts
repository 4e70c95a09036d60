import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../src/experiments/results-file.js';
import { type SuiteRun, runSuite } from '../../src/experiments/runner.js';
import { expandSuite } from '../../src/experiments/suite.js';
import type { TrialRecord } from '../../src/experiments/trial.js';
import { tinySuite, tinySuiteRaw } from './tiny-suite.js';

/** What must not change between runs: everything but timings, memory and the process's versions. */
function outcome(r: TrialRecord) {
  return {
    key: r.key,
    variant: r.variant,
    seed: r.seed,
    test: r.test,
    validation: r.validation,
    history: r.history.map((h) => ({ epoch: h.epoch, step: h.step, trainLoss: h.trainLoss, validation: h.validation })),
    curves: r.curves,
    longTail: r.longTail,
    dataFingerprint: r.dataFingerprint,
  };
}

const byKey = (rs: readonly TrialRecord[]) => new Map(rs.map((r) => [r.key, outcome(r)]));

describe('runSuite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wd-runner-'));
  const suite = tinySuite();
  let serial: SuiteRun;

  beforeAll(async () => {
    serial = await runSuite(suite, { resultsFile: join(dir, 'serial.jsonl'), workers: 1, threads: 1 });
  }, 120_000);

  it('runs every trial in worker processes and records one line each', () => {
    expect(serial).toMatchObject({ ran: 4, resumed: 0, failed: 0, aborted: false });
    const lines = readResults(join(dir, 'serial.jsonl'));
    expect(lines).toHaveLength(4);
    const r = lines[0]!;
    expect(r).toMatchObject({ status: 'ok', suite: 'tiny', format: 1, threads: 1, library: { name: 'widedeep' }, baseline: 'kind=wide', metric: 'test.auc' });
    expect(r.history).toHaveLength(2);
    expect(r.test?.auc).toBeGreaterThan(0);
    expect(r.peakRssMB).toBeGreaterThan(10);
    expect(r.rowsPerSec).toBeGreaterThan(0);
    expect(r.dataFingerprint).toMatchObject({ dataset: 'synthetic', rows: 3000 });
    expect(r.curves?.roc.fpr).toHaveLength(101);
    expect(r.config).toMatchObject({ seed: r.seed, model: { kind: r.variant.slice(5) } });
    expect(serial.records.map((x) => `${x.variant}@${x.seed}`)).toEqual(['kind=wide@1', 'kind=wide@2', 'kind=wide_deep@1', 'kind=wide_deep@2']);
  });

  it('an interrupted parallel run resumes with only the missing trials, and matches the serial run exactly', async () => {
    const file = join(dir, 'parallel.jsonl');
    const controller = new AbortController();
    const first = await runSuite(suite, {
      resultsFile: file,
      workers: 2,
      threads: 1,
      signal: controller.signal,
      onTrial: (e) => {
        if (e.done === 2) controller.abort();
      },
    });
    expect(first.aborted).toBe(true);
    const kept = readResults(file).length;
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(4);
    // A crash in the middle of a write leaves half a line: it is ignored and cut off.
    appendFileSync(file, '{"format":1,"status":"ok","suite":"tiny","var');
    expect(readResults(file)).toHaveLength(kept);
    const events: string[] = [];
    const second = await runSuite(suite, { resultsFile: file, workers: 2, threads: 1, onTrial: (e) => events.push(e.kind) });
    expect(second).toMatchObject({ ran: 4 - kept, resumed: kept, failed: 0, aborted: false });
    expect(events.filter((k) => k === 'resumed')).toHaveLength(kept);
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')).toHaveLength(4);
    expect(byKey(second.records)).toEqual(byKey(serial.records));
    // Nothing left to do: a third run trains nothing.
    const third = await runSuite(suite, { resultsFile: file, workers: 2, threads: 1 });
    expect(third).toMatchObject({ ran: 0, resumed: 4 });
  }, 120_000);

  it('same seeds in this process give the same metrics as in worker processes', async () => {
    const one = tinySuite({ grid: { 'model.kind': ['wide_deep'] }, seeds: [2] });
    const run = await runSuite(one, { resultsFile: join(dir, 'inproc.jsonl'), workers: 0, threads: 1 });
    const key = run.records[0]!.key;
    expect(outcome(run.records[0]!)).toEqual(byKey(serial.records).get(key));
  }, 60_000);

  it('a failing trial is recorded as failed and retried on the next run', async () => {
    const s = tinySuite({ set: { ...tinySuiteRaw().set, data: { dataset: 'files', train: { path: join(dir, 'missing.csv') } } }, grid: {}, seeds: [1] });
    const file = join(dir, 'failing.jsonl');
    const a = await runSuite(s, { resultsFile: file, workers: 0 });
    expect(a).toMatchObject({ ran: 1, failed: 1 });
    expect(readResults(file)[0]).toMatchObject({ status: 'failed', test: null });
    expect(readResults(file)[0]!.error).toMatch(/missing\.csv/);
    const b = await runSuite(s, { resultsFile: file, workers: 0 });
    expect(b).toMatchObject({ ran: 1, resumed: 0, failed: 1 });
  });

  it('refuses to resume from results made with a different config, and rejects a bad line in the middle', async () => {
    const file = join(dir, 'changed.jsonl');
    const [t] = expandSuite(suite);
    writeFileSync(file, `${JSON.stringify({ ...serial.records[0], key: t!.key, configHash: 'something-else' })}\n`);
    await expect(runSuite(suite, { resultsFile: file, workers: 0 })).rejects.toThrow(/different config.*new results file/);
    writeFileSync(file, 'not json\n{}\n');
    expect(() => readResults(file)).toThrow(/line 1 is not valid JSON/);
  });

  it('validates every trial config before running any', async () => {
    const bad = tinySuite({ grid: { 'model.kind': ['wide', 'wiide'] } });
    await expect(runSuite(bad, { resultsFile: join(dir, 'bad.jsonl'), workers: 0 })).rejects.toThrow(/model.kind/);
    expect(() => readFileSync(join(dir, 'bad.jsonl'))).toThrow();
  });
});

