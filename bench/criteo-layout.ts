/**
 * A Criteo-layout file generator for the feature benchmark: label, I1..I13, C1..C26, TAB-separated, no
 * header, an empty field for a missing value (the raw Kaggle/Terabyte layout that `criteoReadOptions` reads).
 *
 * - C1..C26: 8 lowercase hex characters (a bijective 32-bit mix of column and rank, so distinct ranks give
 *   distinct ids); ranks drawn from a bounded power law P(k) ~ k^-s over the column's Kaggle Criteo
 *   cardinality: the inverse CDF of the continuous law, floored, tabulated at 2^16 points and interpolated
 *   linearly (one pow per draw would cost more than everything else).
 * - I1..I13: non-negative counts `floor(expm1(|z| * scale))` (I2 shifted by -1, as Criteo's I2 goes below 0).
 * - missing rates close to Kaggle Criteo's; label 1 with probability 0.256.
 *
 * Written byte by byte into a 16 MB block that is flushed with writeSync: about 275 bytes per row.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';

/** Distinct values of C1..C26 in Kaggle Criteo (45M rows): the generator's vocabulary sizes. */
export const CRITEO_CARDINALITIES = [
  1460, 583, 10_131_227, 2_202_608, 305, 24, 12_517, 633, 3, 93_145, 5683, 8_351_593, 3194, 27, 14_992, 5_461_306, 10, 5652, 2173, 4, 7_046_547, 18, 15,
  286_181, 105, 142_572,
];
const MISSING_I = [0.45, 0, 0.21, 0.22, 0.03, 0.22, 0.04, 0.0005, 0.04, 0.45, 0.04, 0.77, 0.22];
const MISSING_C = [0, 0, 0.034, 0.034, 0, 0.12, 0, 0, 0, 0, 0, 0.034, 0, 0, 0, 0.034, 0, 0, 0.44, 0.44, 0.034, 0.76, 0, 0.034, 0.44, 0.44];
const SCALE_I = [1.5, 3, 2, 1.5, 4, 2.5, 2, 1.5, 2.5, 0.7, 1.2, 1.5, 2];
const HEX = Buffer.from('0123456789abcdef');
const BLOCK = 1 << 24;

export interface GenerateOptions {
  readonly path: string;
  readonly rows: number;
  readonly seed?: number;
  /** Power-law exponent of the categorical ranks. Default 1.1 (as the engine benchmark's Criteo case). */
  readonly zipf?: number;
}

/** Writes the file and returns its size in bytes. */
export function generateCriteoFile(options: GenerateOptions): number {
  const rng = new Rng(options.seed ?? 1);
  const s = options.zipf ?? 1.1;
  const u01 = (): number => rng.nextU32() * 2.3283064365386963e-10;
  const tables = CRITEO_CARDINALITIES.map((v) => powerLawTable(v, s));
  const fd = openSync(options.path, 'w');
  const out = new BlockWriter(fd);
  try {
    for (let r = 0; r < options.rows; r++) {
      out.byte(u01() < 0.256 ? 49 : 48);
      for (let j = 0; j < 13; j++) {
        out.byte(9);
        if (u01() < MISSING_I[j]!) continue;
        out.int(Math.floor(Math.expm1(Math.abs(rng.normal()) * SCALE_I[j]!)) - (j === 1 ? 1 : 0));
      }
      for (let c = 0; c < 26; c++) {
        out.byte(9);
        if (u01() < MISSING_C[c]!) continue;
        out.hex8(mix32(drawRank(tables[c]!, u01(), CRITEO_CARDINALITIES[c]!), c));
      }
      out.endRow();
    }
    out.flush();
    return out.written;
  } finally {
    closeSync(fd);
  }
}

const STEPS = 1 << 16;

/** x(u) = (1 + u ((V + 1)^(1-s) - 1))^(1 / (1-s)) at u = i / STEPS: the inverse CDF of the law on [1, V + 1). */
function powerLawTable(v: number, s: number): Float64Array {
  const span = (v + 1) ** (1 - s) - 1;
  return Float64Array.from({ length: STEPS + 1 }, (_, i) => (1 + (i / STEPS) * span) ** (1 / (1 - s)));
}

function drawRank(table: Float64Array, u: number, v: number): number {
  const x = u * STEPS;
  const i = Math.floor(x);
  const lo = table[i]!;
  return Math.min(v, Math.floor(lo + (x - i) * (table[i + 1]! - lo)));
}

/** A bijection of 32-bit ranks per column (xor with a column constant, then murmur3's finalizer). */
function mix32(rank: number, column: number): number {
  let h = (rank ^ Math.imul(column + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

class BlockWriter {
  private readonly buf = Buffer.allocUnsafe(BLOCK);
  private pos = 0;
  written = 0;

  constructor(private readonly fd: number) {}

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** A decimal integer (|v| < 2^53). */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      this.buf[i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.pos += digits;
  }

  hex8(v: number): void {
    for (let shift = 28; shift >= 0; shift -= 4) this.buf[this.pos++] = HEX[(v >>> shift) & 15]!;
  }

  endRow(): void {
    this.buf[this.pos++] = 10;
    if (this.pos > BLOCK - 4096) this.flush();
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }
}
