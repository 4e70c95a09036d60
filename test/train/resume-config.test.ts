import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { checkResumeConfig, configDifferences } from '../../src/train/resume-config.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { smallConfig } from '../helpers/small-config.js';

type Raw = Record<string, Record<string, unknown>>;

/** smallConfig with `edit` applied to a deep copy. */
function edited(edit: (c: Raw) => void): Record<string, unknown> {
  const c = structuredClone(smallConfig()) as Raw;
  edit(c);
  return c;
}

describe('resume config check', () => {
  it('finds the keys that change a run, at their full paths', () => {
    const base = parseRunConfig(smallConfig());
    const changed = parseRunConfig(
      edited((c) => {
        (c.model!.optimizers as Record<string, Record<string, unknown>>).deep!.lr = 0.02;
        (c.model!.deep as { hidden: number[] }).hidden[1] = 9;
        c.train!.ema = { decay: 0.99 };
      }),
    );
    expect(configDifferences(base, changed)).toEqual(['model.deep.hidden[1]', 'model.optimizers.deep.lr', 'train.ema']);
    expect(configDifferences(base, { ...base, seed: 4 })).toEqual(['seed']);
  });

  it('a default written out, more epochs or another data directory is no change', () => {
    const base = parseRunConfig(smallConfig());
    const same = parseRunConfig(
      edited((c) => {
        c.train!.batchSize = 128; // as before
        c.train!.checkpoint = true; // the default
        c.train!.epochs = 7;
        c.data!.dataDir = '/elsewhere';
      }),
    );
    expect(configDifferences(base, same)).toEqual([]);
  });

  it('train.threads may change: the machine a run goes on on may have other cores', () => {
    const base = parseRunConfig(smallConfig());
    expect(configDifferences(base, parseRunConfig(edited((c) => (c.train!.threads = 4))))).toEqual([]);
    expect(() => checkResumeConfig(parseRunConfig(edited((c) => (c.train!.threads = 8))), edited((c) => (c.train!.threads = 2)), 3, 'ck')).not.toThrow();
  });

  it('the error names the keys with both values, the checkpoint and the fix', () => {
    const recorded = smallConfig();
    const now = parseRunConfig(edited((c) => (c.train!.ema = { decay: 0.999 })));
    let error: unknown;
    try {
      checkResumeConfig(now, recorded, 3, '/runs/a/checkpoint');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WideDeepError);
    const w = error as WideDeepError;
    expect(w.code).toBe('CONFIG');
    expect(w.message).toMatch(/train\.ema \(checkpoint not set, now \{"decay":0\.999\}\)/);
    expect(w.details.file).toBe('/runs/a/checkpoint');
    expect(w.details.fix).toMatch(/start over without --resume/);
    // the recorded seed is the one the run used (a --seed override included)
    expect(() => checkResumeConfig(parseRunConfig(recorded), recorded, 5, 'ck')).toThrow(/seed \(checkpoint 5, now 3\)/);
    expect(() => checkResumeConfig(parseRunConfig(recorded), recorded, 3, 'ck')).not.toThrow();
  });

  it('a recorded config that no longer parses is a bundle error that says to start over', () => {
    const bad = { ...smallConfig(), train: { epochs: 2, nonsense: 1 } };
    expect(() => checkResumeConfig(parseRunConfig(smallConfig()), bad, 3, 'ck')).toThrow(/no longer parses.*nonsense/);
  });
});
