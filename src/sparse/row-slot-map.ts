/**
 * A reusable open-addressing hash map from row index (int >= 0) to a dense slot 0, 1, 2, ... in first-seen
 * order, over Int32Arrays (linear probing, multiplicative hashing, load factor <= 1/2). Used to deduplicate a
 * batch's ids: `rows[s]` is the row of slot s. `clear()` costs O(capacity), capacity is ~2-4x the largest
 * number of unique rows seen, and buffers only grow, so a training loop allocates nothing after warm-up.
 */
export class RowSlotMap {
  /** Row of every slot, in first-seen order; valid in [0, count). */
  rows: Int32Array;
  /** Number of distinct rows since the last clear. */
  count = 0;
  private keys: Int32Array; // bucket -> row, -1 = empty
  private slots: Int32Array; // bucket -> slot
  private mask: number;
  private shift: number;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < 2 * initialCapacity) cap *= 2;
    this.keys = new Int32Array(cap).fill(-1);
    this.slots = new Int32Array(cap);
    this.rows = new Int32Array(cap >>> 1);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  clear(): void {
    if (this.count > 0) this.keys.fill(-1);
    this.count = 0;
  }

  /** Makes room for `extra` more distinct rows without rehashing inside a hot loop. */
  reserve(extra: number): void {
    const need = this.count + extra;
    if (2 * need <= this.keys.length) return;
    let cap = this.keys.length;
    while (cap < 2 * need) cap *= 2;
    this.rehash(cap);
  }

  /** Slot of `row`, inserting it when new. Call `reserve` first: this never grows the table itself. */
  slotOf(row: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let h = Math.imul(row, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[h] as number;
      if (k === row) return this.slots[h] as number;
      if (k === -1) {
        const s = this.count++;
        keys[h] = row;
        this.slots[h] = s;
        this.rows[s] = row;
        return s;
      }
      h = (h + 1) & mask;
    }
  }

  /** Slot of `row`, or -1 when it was not inserted since the last clear. */
  get(row: number): number {
    const keys = this.keys;
    let h = Math.imul(row, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[h] as number;
      if (k === row) return this.slots[h] as number;
      if (k === -1) return -1;
      h = (h + 1) & this.mask;
    }
  }

  private rehash(cap: number): void {
    const oldRows = this.rows;
    const n = this.count;
    this.keys = new Int32Array(cap).fill(-1);
    this.slots = new Int32Array(cap);
    this.rows = new Int32Array(cap >>> 1);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.count = 0;
    for (let s = 0; s < n; s++) this.slotOf(oldRows[s] as number);
  }
}
