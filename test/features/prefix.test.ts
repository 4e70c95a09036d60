import { describe, expect, it } from 'vitest';
import { parseFeatureConfig } from '../../src/features/config-parse.js';
import { prefixOf } from '../../src/features/derive.js';
import { parseFittedSpec, serializeFittedSpec } from '../../src/features/fitted-spec.js';
import { fit, rowsToChunk, transform, type FeatureConfig } from '../../src/features/index.js';
import { chunkOf, errorOf, streamOf } from './fixtures.js';

const zips = ['55105', '55106', '94043', '94040', 'T8H1N', '55108', null, '9'];

const config = (zip: Record<string, unknown>, extra: FeatureConfig['columns'] = []): FeatureConfig => ({
  columns: [{ type: 'categorical', name: 'zip3', source: 'zip', prefix: 3, ...zip }, ...extra],
  label: { kind: 'binary', column: 'y' },
});

describe('categorical prefix', () => {
  it('keeps the first n code points, never half a surrogate pair', () => {
    expect(prefixOf('55105', 3)).toBe('551');
    expect(prefixOf('9', 3)).toBe('9');
    expect(prefixOf('a😀bc', 2)).toBe('a😀');
    expect(prefixOf('😀😀😀', 2)).toBe('😀😀');
  });

  it('fits its vocabulary over prefixes: zip codes of one region share an id', async () => {
    const chunk = chunkOf({ zip: zips, y: [1, 0, 1, 0, 1, 1, 0, 1] });
    const spec = await fit(config({}), streamOf(chunk));
    const col = spec.columns[0] as { encoding: { values: string[] }; prefix?: number };
    expect(col.prefix).toBe(3);
    expect([...col.encoding.values].sort()).toEqual(['551', '940', '9', 'T8H'].sort());
    const ids = transform(spec, chunk).wide.ids;
    expect(ids[0]).toBe(ids[1]); // 55105 and 55106
    expect(ids[0]).toBe(ids[5]); // 55108
    expect(ids[2]).toBe(ids[3]); // 94043 and 94040
    expect(ids[0]).not.toBe(ids[2]);
    expect(ids[6]).toBe(0); // missing
  });

  it('hashes the prefix, crosses read the prefix, and a numeric source is prefixed as text', async () => {
    const chunk = chunkOf({ zip: zips, g: ['F', 'M', 'F', 'M', 'F', 'F', 'M', 'F'], y: [1, 0, 1, 0, 1, 1, 0, 1] });
    const spec = await fit(
      config({ hashBuckets: 1000 }, [
        { type: 'categorical', name: 'g' },
        { type: 'crossed', name: 'zip3_x_g', components: ['zip3', 'g'], hashBuckets: 1000 },
      ]),
      streamOf(chunk),
    );
    const b = transform(spec, chunk).wide;
    const n = chunk.numRows;
    const zipIds = b.ids.subarray(0, n);
    const crossIds = b.ids.subarray(2 * n, 3 * n);
    expect(zipIds[0]).toBe(zipIds[1]);
    expect(crossIds[0]).toBe(crossIds[5]); // 551 x F, twice
    expect(crossIds[0]).not.toBe(crossIds[1]); // 551 x M
    const numeric = chunkOf({ zip: [55105, 55199, 94043], y: [1, 0, 1] });
    const nspec = await fit(config({}), streamOf(numeric));
    expect((nspec.columns[0] as { encoding: { values: string[] } }).encoding.values.sort()).toEqual(['551', '940']);
  });

  it('serving rows transform like training rows, and the prefix survives the spec round trip', async () => {
    const chunk = chunkOf({ zip: zips, y: [1, 0, 1, 0, 1, 1, 0, 1] });
    const spec = parseFittedSpec(JSON.parse(serializeFittedSpec(await fit(config({}), streamOf(chunk)))));
    const served = transform(spec, rowsToChunk([{ zip: '55199' }, { zip: '94000' }]), { mode: 'serve' }).wide.ids;
    const trained = transform(spec, chunk).wide.ids;
    expect(served[0]).toBe(trained[0]);
    expect(served[1]).toBe(trained[2]);
  });

  it('is a config error with identity ids, and must be a positive integer', () => {
    expect(errorOf(() => parseFeatureConfig(config({ identity: { numBuckets: 10 } }))).message).toMatch(/prefix and identity/);
    expect(errorOf(() => parseFeatureConfig(config({ prefix: 0 }))).message).toMatch(/prefix/);
  });
});
