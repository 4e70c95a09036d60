import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runSuite } from '../../src/experiments/runner.js';
import { parseSuite } from '../../src/experiments/suite.js';
import type { TrialRecord } from '../../src/experiments/trial.js';
import { tinySuiteRaw } from '../experiments/tiny-suite.js';

/** A temp dir holding the tiny suite (test/experiments/tiny-suite.ts) as a suite file, with `extra` keys. */
export function tinySuiteFile(extra: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wd-scale-'));
  const file = join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify({ ...tinySuiteRaw(), ...extra }));
  return { dir, file };
}

/** The records of a local run (`experiment --workers 0 --threads 1`) of a suite file, by trial key. */
export async function localRecords(suiteFile: string, dir: string): Promise<Map<string, TrialRecord>> {
  const raw = JSON.parse(readFileSync(suiteFile, 'utf8')) as Record<string, unknown>;
  const run = await runSuite(parseSuite(raw, suiteFile), { resultsFile: join(dir, 'local.jsonl'), workers: 0, threads: 1 });
  return new Map(run.records.map((r) => [r.key, r]));
}

/** The lines of a results file. */
export function records(file: string): TrialRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrialRecord);
}

/** What a trial computed, without what depends on the machine and the moment (times, rates, memory, versions). */
export function computed(r: TrialRecord) {
  return {
    key: r.key,
    status: r.status,
    threads: r.threads,
    configHash: r.configHash,
    test: r.test,
    validation: r.validation,
    curves: r.curves,
    longTail: r.longTail,
    losses: r.history.map((h) => [h.epoch, h.step, h.trainLoss, h.validation]),
  };
}

/** Every record equals the local run's record of the same trial in all it computed. */
export function expectSameAsLocal(got: readonly TrialRecord[], local: Map<string, TrialRecord>): void {
  expect(got.map((r) => r.key).sort()).toEqual([...local.keys()].sort());
  for (const r of got) expect(computed(r)).toEqual(computed(local.get(r.key) as TrialRecord));
}
