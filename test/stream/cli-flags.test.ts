import { describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';

/** `widedeep train-stream` refuses bad flags before it reads the config or connects, naming the flag and the fix. */
describe('train-stream flags', () => {
  it.each([
    [['--source', 'kafka://h:9092/t'], '--out'],
    [['--out', '/tmp/x', '--source', 'mqtt://h/t'], 'unknown scheme mqtt'],
    [['--out', '/tmp/x', '--source', 'kafka://h/t', '--checkpoint-every-events', '0'], '--checkpoint-every-events must be a positive integer'],
    [['--out', '/tmp/x', '--source', 'kafka://h/t', '--publish-every-seconds', 'soon'], '--publish-every-seconds must be a positive number'],
    [['--out', '/tmp/x', '--source', 'kafka://h/t', '--on-bad-row', 'ignore'], '--on-bad-row must be error or skip'],
  ])('%j: %s', async (args, message) => {
    const r = await runMain(['train-stream', '--config', 'no-such.yaml', ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('no-such.yaml');
  });
});
