import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchedLog } from '../../src/serve/http/log-destination.js';

// The serve request log is written in batches (one write per few dozen lines), yet no line waits long or is lost.

function tempLog(): { path: string; fd: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'wd-log-')), 'serve.log');
  return { path, fd: openSync(path, 'w') };
}

const line = (i: number): string => `${JSON.stringify({ level: 30, msg: 'request', i, pad: 'x'.repeat(100) })}\n`;

describe('batchedLog', () => {
  it('gathers lines until minBytes and writes them at once', () => {
    const { path, fd } = tempLog();
    const log = batchedLog({ fd, minBytes: 4096, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) log.stream.write(line(i));
    expect(readFileSync(path, 'utf8')).toBe('');
    for (let i = 5; i < 40; i++) log.stream.write(line(i));
    const text = readFileSync(path, 'utf8');
    // One write of the lines gathered when they passed 4096 bytes: whole lines, in order, the rest still held.
    expect(text.length).toBeGreaterThanOrEqual(4096);
    const written = text.split('\n').filter((l) => l !== '');
    expect(written.length).toBeLessThan(40);
    expect(written.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(written.map((_, i) => i));
    log.close();
    expect(readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')).toHaveLength(40);
    closeSync(fd);
  });

  it('writes a lone line within flushMs, and close writes the rest', async () => {
    const { path, fd } = tempLog();
    const log = batchedLog({ fd, minBytes: 4096, flushMs: 50 });
    log.stream.write(line(0));
    const deadline = Date.now() + 5000;
    while (readFileSync(path, 'utf8') === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(path, 'utf8')).toBe(line(0));
    log.stream.write(line(1));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe(line(0) + line(1));
    closeSync(fd);
  });
});
