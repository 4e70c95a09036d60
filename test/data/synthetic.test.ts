import { describe, expect, it } from 'vitest';
import { concatChunks, rowObject } from '../../src/data/chunk.js';
import { createSyntheticWorld, SYNTHETIC_SCHEMA, syntheticChunks, syntheticData } from '../../src/data/synthetic.js';
import { schemaOf } from '../../src/data/chunk.js';
import { catchError } from './helpers.js';

describe('synthetic Google-Play-like impression log', () => {
  const world = createSyntheticWorld({ seed: 5 });
  const data = syntheticData(world, { rows: 60_000, includeTruth: true });
  const labels = data.columns.get('label') as Float64Array;
  const rate = (keep: (i: number) => boolean): { n: number; rate: number } => {
    let n = 0;
    let pos = 0;
    for (let i = 0; i < data.numRows; i++) {
      if (!keep(i)) continue;
      n++;
      pos += labels[i] as number;
    }
    return { n, rate: pos / n };
  };

  it('has the documented schema, needs no file, and is deterministic by seed (not by chunk size)', () => {
    expect(schemaOf(data).slice(0, SYNTHETIC_SCHEMA.length)).toEqual(SYNTHETIC_SCHEMA);
    const a = concatChunks([...syntheticChunks({ seed: 5 }, { rows: 3000, chunkSize: 1000 })]);
    const b = concatChunks([...syntheticChunks({ seed: 5 }, { rows: 3000, chunkSize: 64 })]);
    const c = concatChunks([...syntheticChunks({ seed: 6 }, { rows: 3000 })]);
    expect(rowObject(a, 2999)).toEqual(rowObject(b, 2999));
    expect([...(a.columns.get('label') as Float64Array)]).toEqual([...(b.columns.get('label') as Float64Array)]);
    expect(a.columns.get('app_id')).not.toEqual(c.columns.get('app_id'));
    expect({ ...rowObject(a, 100), true_logit: rowObject(data, 100)['true_logit'] }).toEqual(rowObject(data, 100));
    expect([...a.rowNumbers.slice(0, 3)]).toEqual([1, 2, 3]);
  });

  it('has a sane install rate, popular apps and a long tail of rare ones', () => {
    const overall = rate(() => true);
    expect(overall.rate).toBeGreaterThan(0.05);
    expect(overall.rate).toBeLessThan(0.25);
    const counts = new Map<string, number>();
    for (const a of data.columns.get('app_id') as string[]) counts.set(a, (counts.get(a) ?? 0) + 1);
    const sorted = [...counts.values()].sort((x, y) => y - x);
    expect(sorted[0]).toBeGreaterThan(data.numRows * 0.01);
    expect(sorted.filter((c) => c <= 3).length).toBeGreaterThan(500);
  });

  it('planted crosses show: rows with a planted (installed, impressed) pair or (country, category) boost convert far more', () => {
    const pairs = new Set(world.truth.plantedPairs.map((p) => `${p.installedApp}|${p.impressedApp}`));
    const boosts = new Set(world.truth.countryCategoryBoosts.map((b) => `${b.country}|${b.category}`));
    const installed = data.columns.get('installed_apps') as string[][];
    const app = data.columns.get('app_id') as string[];
    const country = data.columns.get('country') as string[];
    const category = data.columns.get('app_category') as string[];
    const hasPair = (i: number): boolean => (installed[i] as string[]).some((b) => pairs.has(`${b}|${app[i] as string}`));
    const hasBoost = (i: number): boolean => boosts.has(`${country[i] as string}|${category[i] as string}`);
    const withPair = rate(hasPair);
    const withBoost = rate((i) => !hasPair(i) && hasBoost(i));
    const neither = rate((i) => !hasPair(i) && !hasBoost(i));
    expect(withPair.n).toBeGreaterThan(300);
    expect(withPair.rate).toBeGreaterThan(3 * neither.rate);
    expect(withBoost.n).toBeGreaterThan(1000);
    expect(withBoost.rate).toBeGreaterThan(1.8 * neither.rate);
  });

  it('latent factors show: the top quartile of user·app affinity converts more than the bottom one', () => {
    const { userFactors, appFactors, config } = world.truth;
    const d = config.latentDim;
    const users = data.columns.get('user_id') as string[];
    const apps = data.columns.get('app_id') as string[];
    const dot = Float64Array.from({ length: data.numRows }, (_, i) => {
      const u = Number((users[i] as string).slice(1));
      const a = Number((apps[i] as string).slice(1));
      let s = 0;
      for (let k = 0; k < d; k++) s += (userFactors[u * d + k] as number) * (appFactors[a * d + k] as number);
      return s;
    });
    const sorted = [...dot].sort((x, y) => x - y);
    const q1 = sorted[Math.floor(sorted.length / 4)] as number;
    const q3 = sorted[Math.floor((3 * sorted.length) / 4)] as number;
    expect(rate((i) => (dot[i] as number) >= q3).rate).toBeGreaterThan(2 * rate((i) => (dot[i] as number) <= q1).rate);
    // The exposed true logit is what the labels were drawn from.
    const z = data.columns.get('true_logit') as Float64Array;
    const p = z.reduce((s, v) => s + 1 / (1 + Math.exp(-v)), 0) / z.length;
    expect(Math.abs(p - rate(() => true).rate)).toBeLessThan(0.01);
  });

  it('rejects unknown config keys and bad row counts', async () => {
    expect((await catchError(() => createSyntheticWorld({ numUser: 5 } as never))).message).toContain('"numUser"');
    expect((await catchError(() => [...syntheticChunks({ seed: 1, numUsers: 10, numApps: 20 }, { rows: -1 })])).code).toBe('CONFIG');
  });
});
