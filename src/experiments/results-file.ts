import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { WideDeepError } from '../core/errors.js';
import type { TrialRecord } from './trial.js';

/**
 * A results file: one JSON object per line (a TrialRecord), appended as trials finish. A crash can leave a
 * half-written last line: readers ignore it and `repairResultsFile` cuts it off before appending again.
 */
export function readResults(path: string): TrialRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WideDeepError('IO', `cannot read the results file: ${(err as Error).message}`, { file: path, fix: 'run widedeep experiment first' });
  }
  const lines = text.split('\n');
  const out: TrialRecord[] = [];
  // The text after the last newline is empty, or a half-written line: skip it.
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as TrialRecord);
    } catch (err) {
      throw new WideDeepError('DATA', `line ${i + 1} is not valid JSON: ${(err as Error).message}`, { file: path, row: i + 1, fix: 'remove the broken line; its trial will run again' });
    }
  }
  return out;
}

/** Cuts a half-written last line (no trailing newline) off the file, so appends start on a fresh line. */
export function repairResultsFile(path: string): void {
  if (!existsSync(path)) return;
  const buf = readFileSync(path);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
  const keep = buf.lastIndexOf(0x0a) + 1;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, keep);
  } finally {
    closeSync(fd);
  }
}

/** Appends one record as one line with a single write. */
export function appendResult(path: string, record: TrialRecord): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
  } finally {
    closeSync(fd);
  }
}
