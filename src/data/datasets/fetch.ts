import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { WideDeepError } from '../../core/errors.js';
import { checkKeys, configError } from '../data-errors.js';
import { resolveDataDir } from './data-dir.js';

export type DatasetName = 'adult' | 'movielens-100k' | 'criteo';

/** One file of a dataset: where it goes under the data folder, where it comes from, its SHA-256. */
export interface DatasetFile {
  /** Path under the data folder. */
  readonly path: string;
  /** Path under the base URL; absent for a file derived locally from another (`derivedFrom`). */
  readonly remote?: string;
  readonly sha256: string;
  /** Made from this (already downloaded) file by `derive`, then checked against sha256. */
  readonly derivedFrom?: string;
}

/** Origins and checksums (the files in shared/data, see its README). */
export const DATASET_FILES: Readonly<Record<DatasetName, { readonly baseUrl: string; readonly files: readonly DatasetFile[] }>> = {
  adult: {
    baseUrl: 'https://archive.ics.uci.edu/ml/machine-learning-databases/adult/',
    files: [
      { path: 'adult/adult.data', remote: 'adult.data', sha256: '5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d' },
      { path: 'adult/adult.test', remote: 'adult.test', sha256: 'a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05' },
      { path: 'adult/adult.names', remote: 'adult.names', sha256: 'c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a' },
    ],
  },
  'movielens-100k': {
    baseUrl: 'https://files.grouplens.org/datasets/movielens/ml-100k/',
    files: [
      { path: 'ml-100k/u.data', remote: 'u.data', sha256: '06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490' },
      { path: 'ml-100k/u.item', remote: 'u.item', sha256: '553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701' },
      { path: 'ml-100k/u.user', remote: 'u.user', sha256: 'f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c' },
      { path: 'ml-100k/u.genre', remote: 'u.genre', sha256: '9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb' },
      { path: 'ml-100k/u.occupation', remote: 'u.occupation', sha256: 'cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d' },
      { path: 'ml-100k/u.info', remote: 'u.info', sha256: '5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b' },
    ],
  },
  criteo: {
    baseUrl: 'https://raw.githubusercontent.com/ycjuan/kaggle-2014-criteo/eb39c37f6a36668fdcaf90cef4be280011e5cf35/',
    files: [
      { path: 'criteo/train.tiny.csv', remote: 'train.tiny.csv', sha256: '68f7852149b089e7929ba9e1acd6debbc986cbd498107a7c4dc9f2e716500b18' },
      { path: 'criteo/train.tiny.txt', derivedFrom: 'criteo/train.tiny.csv', sha256: '68cfc1a89d75354a7b5c2424fb039c52f733152d05f033fccb2b46287bc2cdbf' },
    ],
  },
};

export interface FetchOptions {
  /** Where to download from instead of the origin (a mirror, or a local server in tests). */
  readonly baseUrl?: string;
  /** Per-file timeout in ms. Default 120000. */
  readonly timeoutMs?: number;
}

export interface FetchedFile {
  readonly path: string;
  readonly status: 'downloaded' | 'derived' | 'present';
}

/**
 * Downloads a dataset into `dataDir` (default: see resolveDataDir), checking every file's SHA-256. Files that
 * are already there with the right checksum are kept. Writes are atomic (temp file + rename).
 */
export async function fetchDataset(dataset: DatasetName, dataDir?: string, options: FetchOptions = {}): Promise<FetchedFile[]> {
  const entry = (DATASET_FILES as Readonly<Record<string, (typeof DATASET_FILES)[DatasetName] | undefined>>)[dataset];
  if (entry === undefined) {
    throw configError(`unknown dataset "${String(dataset)}"`, { field: 'dataset', fix: `use one of: ${Object.keys(DATASET_FILES).join(', ')}` });
  }
  checkKeys(options, ['baseUrl', 'timeoutMs'], 'fetchDataset');
  const dir = resolveDataDir(dataDir);
  const base = options.baseUrl ?? entry.baseUrl;
  const out: FetchedFile[] = [];
  for (const f of entry.files) {
    const dest = join(dir, f.path);
    if ((await sha256OfFile(dest).catch(() => '')) === f.sha256) {
      out.push({ path: dest, status: 'present' });
    } else if (f.remote !== undefined) {
      await downloadVerified({ url: new URL(f.remote, base.endsWith('/') ? base : `${base}/`).href, dest, sha256: f.sha256, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
      out.push({ path: dest, status: 'downloaded' });
    } else {
      const from = join(dir, f.derivedFrom ?? '');
      await writeVerified(dest, criteoCsvToTxt(await readFile(from)), f.sha256);
      out.push({ path: dest, status: 'derived' });
    }
  }
  return out;
}

/**
 * Downloads `url` to `dest` through a temp file in the same folder, hashing on the way; renames it into place
 * only when the SHA-256 matches. On any failure the temp file is removed and nothing is left at `dest`.
 */
export async function downloadVerified(options: { readonly url: string; readonly dest: string; readonly sha256: string; readonly timeoutMs?: number }): Promise<void> {
  const { url, dest, sha256 } = options;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) }).catch((e: unknown) => {
      throw new WideDeepError('IO', `download failed: ${e instanceof Error ? e.message : String(e)}`, { file: url, fix: 'check the network connection and the base URL' }, { cause: e });
    });
    if (!res.ok || res.body === null) {
      throw new WideDeepError('IO', `download failed: HTTP ${res.status} ${res.statusText}`, { file: url, fix: 'check the base URL (the file may have moved); pass baseUrl to use a mirror' });
    }
    const hash = createHash('sha256');
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const b of source) {
          hash.update(b);
          yield b;
        }
      },
      createWriteStream(tmp),
    );
    const got = hash.digest('hex');
    if (got !== sha256) {
      throw new WideDeepError('IO', `checksum mismatch: expected sha256 ${sha256}, got ${got}`, {
        file: url,
        fix: 'the server sent a different file; retry, or check the base URL / mirror',
      });
    }
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeVerified(dest: string, bytes: Buffer, sha256: string): Promise<void> {
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256) {
    throw new WideDeepError('IO', `checksum mismatch of derived file: expected sha256 ${sha256}, got ${got}`, { file: dest, fix: 'download the source file again' });
  }
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), async function* (source: AsyncIterable<Buffer>) {
    for await (const b of source) hash.update(b);
  });
  return hash.digest('hex');
}

/** Kaggle train.csv layout (header, Id column, commas, CRLF) -> raw Criteo layout (TAB, no header, no Id, LF). */
export function criteoCsvToTxt(csv: Buffer): Buffer {
  const lines = csv.toString('latin1').split(/\r?\n/);
  const out: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    out.push(line.split(',').slice(1).join('\t'));
  }
  return Buffer.from(`${out.join('\n')}\n`, 'latin1');
}
