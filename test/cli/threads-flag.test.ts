import { afterEach, describe, expect, it, vi } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { threadsFlag } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';

describe('--threads', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is an integer >= 1, or absent', () => {
    expect(threadsFlag(undefined)).toBeUndefined();
    expect(threadsFlag('4')).toBe(4);
    expect(() => threadsFlag('0')).toThrow(WideDeepError);
    expect(() => threadsFlag('0')).toThrow(/--threads must be at least 1, got 0/);
    expect(() => threadsFlag('two')).toThrow(/--threads must be an integer, got two/);
  });

  // A bad value is refused by each command's own flag (not "unknown option"), before anything is read.
  it.each([
    ['fit', ['--config', 'no-such.yaml']],
    ['eval', ['--model', 'no-such-dir']],
    ['predict', ['--model', 'no-such-dir', '--input', '-']],
    ['serve', ['--model', 'no-such-dir']],
    ['experiment', ['--suite', 'no-such-suite']],
  ])('%s takes it', async (command, rest) => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    expect(await main([command, ...rest, '--threads', '0'])).toBe(2);
    expect(err.join('')).toMatch(new RegExp(`^widedeep ${command}: .*--threads must be at least 1, got 0`));
  });
});
