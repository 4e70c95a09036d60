import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE } from '../helpers/bundle-fixture.js';
import { ROOT, cliArgs } from '../helpers/cli-process.js';

/** `widedeep predict ... | head -1`: the reader closes stdout after its first chunk. */
function predictIntoEarlyClose(rows: number): Promise<{ code: number | null; signal: string | null; stderr: string; read: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, cliArgs(['predict', '--model', join(FIXTURE, 'model'), '--input', '-', '--batch-size', '64']), { cwd: ROOT });
    let stderr = '';
    let read = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      read = d.toString();
      child.stdout.destroy();
    });
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ code, signal, stderr, read }));
    const line = `${JSON.stringify({ country: 'cty00', age: 22, app_category: 'cat00' })}\n`;
    child.stdin.on('error', () => {}); // the child may exit before it has read every row
    child.stdin.end(line.repeat(rows));
  });
}

describe('predict into a reader that closes early', () => {
  it('exits 0 without a stack trace', async () => {
    const r = await predictIntoEarlyClose(50_000);
    expect(r.read).toMatch(/^\{"row":1,"prediction":/);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
