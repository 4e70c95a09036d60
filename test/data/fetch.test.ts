import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { downloadVerified, fetchDataset } from '../../src/data/datasets/fetch.js';
import { catchError, DATA_DIR, HAS_DATA, tempDir } from './helpers.js';

const tmp = tempDir();
const body = Buffer.from('label\tI1\n1\t2\n');
const sha = createHash('sha256').update(body).digest('hex');
let server: Server;
let base = '';

/** Loopback server: /small.txt, the Criteo sample under /criteo/ when shared data exists, 404 otherwise. */
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/small.txt') return res.end(body);
    const criteo = join(DATA_DIR, 'criteo', url.replace('/criteo/', ''));
    if (url.startsWith('/criteo/') && HAS_DATA && existsSync(criteo)) return res.end(readFileSync(criteo));
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('downloadVerified (loopback HTTP server, never the network)', () => {
  it('downloads, checks the sha256 and renames into place', async () => {
    const dest = join(tmp.dir, 'ok', 'small.txt');
    await downloadVerified({ url: `${base}/small.txt`, dest, sha256: sha });
    expect(readFileSync(dest)).toEqual(body);
    expect(readdirSync(join(tmp.dir, 'ok'))).toEqual(['small.txt']);
  });

  it('a checksum mismatch is an error and leaves no file behind', async () => {
    const dest = join(tmp.dir, 'bad', 'small.txt');
    const e = await catchError(() => downloadVerified({ url: `${base}/small.txt`, dest, sha256: '0'.repeat(64) }));
    expect(e.message).toContain('checksum mismatch');
    expect(e.message).toContain(sha);
    expect(e.message).toContain('(fix: ');
    expect(readdirSync(join(tmp.dir, 'bad'))).toEqual([]);
  });

  it('HTTP 404 is an error naming the URL and leaves no file behind', async () => {
    const dest = join(tmp.dir, 'missing', 'x.txt');
    const e = await catchError(() => downloadVerified({ url: `${base}/nope.txt`, dest, sha256: sha }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain('HTTP 404');
    expect(e.message).toContain(`${base}/nope.txt`);
    expect(readdirSync(join(tmp.dir, 'missing'))).toEqual([]);
  });

  it('fetchDataset on a base URL without the files fails with 404', async () => {
    const e = await catchError(() => fetchDataset('adult', join(tmp.dir, 'ds404'), { baseUrl: `${base}/nothing/` }));
    expect(e.message).toContain('HTTP 404');
    expect((await catchError(() => fetchDataset('mnist' as never, tmp.dir))).message).toContain('adult, movielens-100k, criteo');
  });

  it.skipIf(!HAS_DATA)('fetchDataset("criteo") downloads the sample, derives train.tiny.txt, and is idempotent', async () => {
    const dir = join(tmp.dir, 'ds');
    const first = await fetchDataset('criteo', dir, { baseUrl: `${base}/criteo/` });
    expect(first.map((f) => f.status)).toEqual(['downloaded', 'derived']);
    expect(readFileSync(join(dir, 'criteo/train.tiny.txt'))).toEqual(readFileSync(join(DATA_DIR, 'criteo/train.tiny.txt')));
    const second = await fetchDataset('criteo', dir, { baseUrl: `${base}/criteo/` });
    expect(second.map((f) => f.status)).toEqual(['present', 'present']);
  });
});
