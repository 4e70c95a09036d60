import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readyLines } from '../../bench/serve-servers.js';

describe('readyLines (the serve bench reading a server start)', () => {
  it('resolves once the wanted JSON lines are in, skipping other lines', async () => {
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    const ready = readyLines(out, 2, 'fastapi-w1', lines);
    out.write('INFO: started\n{"event":"listening","url":"http://127.0.0.1:1"}\n');
    out.write('{"event":"worker_ready","pid":7}\n');
    await ready;
    expect(lines).toEqual([{ event: 'listening', url: 'http://127.0.0.1:1' }, { event: 'worker_ready', pid: 7 }]);
  });

  it("rejects, naming the server and the line, when two workers' lines run together", async () => {
    const out = new PassThrough();
    const ready = readyLines(out, 3, 'fastapi-w2-sync', []);
    out.write('{"event":"listening"}\n{"event":"worker_ready","pid":1}{"event":"worker_ready","pid":2}\n');
    await expect(ready).rejects.toThrow(/fastapi-w2-sync: an unreadable line on its stdout .*"pid":1\}\{"event"/);
  });
});
