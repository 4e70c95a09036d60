import { describe, expect, it } from 'vitest';
import { touchedSum, touchRows } from '../../src/sparse/prefetch.js';

describe('software prefetch', () => {
  it('reads the first float of every 64-byte line of each named row, and nothing else', () => {
    const stride = 48; // a lazy-Adam row of dim 16: three lines
    const data = new Float32Array(10 * stride);
    // Each line start of row r holds a distinct power of two; every other float holds a value that would show.
    data.fill(1e9);
    for (let r = 0; r < 10; r++) for (let line = 0; line < 3; line++) data[r * stride + 16 * line] = 2 ** (3 * r + line);
    const ids = Int32Array.from([7, 2, 9, 4]);
    const before = touchedSum();
    touchRows(data, ids, 1, 3, stride, stride); // rows 2 and 9, all three lines
    expect(touchedSum() - before).toBe(2 ** 6 + 2 ** 7 + 2 ** 8 + 2 ** 27 + 2 ** 28 + 2 ** 29);
    const mid = touchedSum();
    touchRows(data, ids, 0, 1, stride, 16); // row 7, only its weights' line
    expect(touchedSum() - mid).toBe(2 ** 21);
  });
});
