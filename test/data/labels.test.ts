import { describe, expect, it } from 'vitest';
import { chunkFromColumns } from '../../src/data/chunk.js';
import { fitLabel, labelChunk, type LabelSpec } from '../../src/data/labels.js';
import { catchError } from './helpers.js';

const data = chunkFromColumns(
  {
    income: ['<=50K', '>50K', '>50K.', '<=50K.', '>50K'],
    rating: Float64Array.from([1, 4, 5, 3, 4]),
    genre: ['drama', 'comedy', 'drama', 'horror', 'comedy'],
    w: Float64Array.from([1, 2, 0.5, 1, 3]),
  },
  { source: 'census.csv', rowNumbers: Int32Array.from([2, 3, 4, 5, 6]) },
);

describe('labels', () => {
  it('binary from value sets: >50K and >50K. positive, <=50K and <=50K. negative', () => {
    const spec: LabelSpec = { kind: 'binary', column: 'income', positive: { in: ['>50K', '>50K.'] }, negative: { in: ['<=50K', '<=50K.'] } };
    const { labels, skipped } = labelChunk(data, fitLabel(spec, data));
    expect([...labels]).toEqual([0, 1, 1, 0, 1]);
    expect(skipped).toEqual([]);
  });

  it('binary from a predicate: contains, or a numeric threshold (rating >= 4)', () => {
    expect([...labelChunk(data, { kind: 'binary', column: 'income', positive: { contains: '>50K' } }).labels]).toEqual([0, 1, 1, 0, 1]);
    expect([...labelChunk(data, { kind: 'binary', column: 'rating', positive: { atLeast: 4 } }).labels]).toEqual([0, 1, 1, 0, 1]);
    expect([...labelChunk(data, { kind: 'binary', column: 'rating', positive: { above: 4 } }).labels]).toEqual([0, 0, 1, 0, 0]);
  });

  it('a value that is neither class names file, row and value; skip drops and reports it', async () => {
    const spec: LabelSpec = { kind: 'binary', column: 'income', positive: { in: ['>50K'] }, negative: { in: ['<=50K'] } };
    const e = await catchError(() => labelChunk(data, spec));
    expect(e.message).toContain('file census.csv, row 4, field income');
    expect(e.message).toContain('">50K."');
    expect(e.message).toContain('(fix: ');
    const skipped = labelChunk(data, spec, { onBadRow: 'skip' });
    expect([...skipped.labels]).toEqual([0, 1, 1]);
    expect([...skipped.data.rowNumbers]).toEqual([2, 3, 6]);
    expect(skipped.skipped.map((s) => s.row)).toEqual([4, 5]);
  });

  it('regression target and example weights from a column', () => {
    const out = labelChunk(data, { kind: 'regression', column: 'rating', weightColumn: 'w' });
    expect([...out.labels]).toEqual([1, 4, 5, 3, 4]);
    expect([...(out.weights ?? [])]).toEqual([1, 2, 0.5, 1, 3]);
  });

  it('multiclass: classes fitted (sorted) or given; unknown class is an error with row', async () => {
    const fitted = fitLabel({ kind: 'multiclass', column: 'genre' }, data);
    expect(fitted.kind === 'multiclass' && fitted.classes).toEqual(['comedy', 'drama', 'horror']);
    expect([...labelChunk(data, fitted).labels]).toEqual([1, 0, 1, 2, 0]);
    expect(JSON.parse(JSON.stringify(fitted))).toEqual(fitted);
    const e = await catchError(() => labelChunk(data, { kind: 'multiclass', column: 'genre', classes: ['drama', 'comedy'] }));
    expect(e.message).toContain('row 5');
    expect(e.message).toContain('"horror"');
  });

  it('missing labels, bad weights, unknown columns and unknown keys are errors', async () => {
    const withMissing = chunkFromColumns({ y: Float64Array.from([1, NaN]), w: Float64Array.from([1, -1]) }, { source: 'm.csv' });
    expect((await catchError(() => labelChunk(withMissing, { kind: 'regression', column: 'y' }))).message).toContain('row 2');
    const w = await catchError(() => labelChunk(chunkFromColumns({ y: Float64Array.from([1, 0]), w: Float64Array.from([1, -1]) }), { kind: 'regression', column: 'y', weightColumn: 'w' }));
    expect(w.message).toContain('weight -1');
    expect((await catchError(() => labelChunk(data, { kind: 'regression', column: 'ratin' }))).message).toContain('income, rating, genre, w');
    const k = await catchError(() => fitLabel({ kind: 'regression', column: 'rating', colum: 'x' } as never, data));
    expect(k.code).toBe('CONFIG');
    expect(k.message).toContain('"colum"');
  });
});
