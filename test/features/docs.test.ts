import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFeatureConfigYaml } from '../../src/features/index.js';

// Every complete YAML example in docs/FEATURES.md must be a valid feature config.
const doc = readFileSync(new URL('../../docs/FEATURES.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => !b.includes('[ ... ]'));

describe('docs/FEATURES.md', () => {
  it('has YAML examples', () => expect(blocks.length).toBeGreaterThanOrEqual(8));
  it.each(blocks.map((b, i) => [i, b] as const))('YAML example %i is a valid config', (_, yaml) => {
    expect(() => parseFeatureConfigYaml(yaml, { file: 'docs/FEATURES.md' })).not.toThrow();
  });
});
