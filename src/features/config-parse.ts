import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import {
  COLUMN_TYPES,
  LABEL_KINDS,
  columnSchemas,
  featureConfigSchema,
  labelSchemas,
  numericSchema,
  type ColumnType,
  type Feed,
  type LabelKind,
} from './config-schema.js';
import {
  DEFAULTS,
  type IdEncodingConfig,
  type ResolvedColumn,
  type ResolvedConfig,
  type ResolvedCrossed,
  type ResolvedLabel,
  type ResolvedNumeric,
} from './resolved.js';
import { parseWith } from './zod-errors.js';

/**
 * Validates a feature configuration (plain data, e.g. parsed YAML) and fills in every default. Every error
 * names the config path (`columns[3].hashBuckets`) and what to do; unknown keys list the valid keys.
 */
export function parseFeatureConfig(input: unknown, options: { file?: string } = {}): ResolvedConfig {
  const file = options.file;
  const fail = (message: string, field: string, fix: string): never => {
    throw new WideDeepError('CONFIG', `feature config: ${message}`, { field, fix, ...(file !== undefined ? { file } : {}) });
  };
  const ctx = (prefix: string, fix: string) => ({ code: 'CONFIG' as const, what: 'feature config', prefix, file, fix });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    fail(`expected an object with a 'columns' list, got ${describe(input)}`, '', 'write the config as a mapping with columns: [...]');
  }
  const top = parseWith(featureConfigSchema, input, ctx('', 'see docs/FEATURES.md for the config keys'));
  const parsed = top.columns.map((raw, i) => parseColumn(raw, `columns[${i}]`, ctx, fail));
  const byName = new Map<string, ParsedColumn>();
  parsed.forEach((c, i) => {
    if (byName.has(c.name)) fail(`two columns are named '${c.name}'`, `columns[${i}].name`, 'give every column a unique name');
    byName.set(c.name, c);
  });
  const columns = parsed.map((c, i) => resolveColumn(c, `columns[${i}]`, byName, fail));

  let label: ResolvedLabel | null = null;
  if (top.label !== undefined) label = resolveLabel(top.label, ctx, fail);

  return {
    columns,
    label,
    onBadRow: top.onBadRow ?? 'error',
    embeddingDimCap: top.embeddingDimCap ?? DEFAULTS.embeddingDimCap,
    sampling: {
      reservoirSize: top.sampling?.reservoirSize ?? DEFAULTS.reservoirSize,
      seed: top.sampling?.seed ?? DEFAULTS.seed,
    },
  };
}

/** Parses a YAML feature config (see docs/FEATURES.md) and validates it. */
export function parseFeatureConfigYaml(text: string, options: { file?: string } = {}): ResolvedConfig {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new WideDeepError('CONFIG', `feature config is not valid YAML: ${(err as Error).message}`, {
      ...(options.file !== undefined ? { file: options.file } : {}),
      fix: 'fix the YAML syntax at the position given',
    }, { cause: err });
  }
  return parseFeatureConfig(data, options);
}

type Fail = (message: string, field: string, fix: string) => never;

type ParsedColumn = { [K in ColumnType]: z.output<(typeof columnSchemas)[K]> }[ColumnType];
type ParsedCrossed = Extract<ParsedColumn, { type: 'crossed' }>;

/** Column types a crossed column can read, and whether each makes the cross a bag. */
const CROSSABLE: Partial<Record<ColumnType, { bag: boolean }>> = {
  categorical: { bag: false },
  bucketized: { bag: false },
  'multi-valued': { bag: true },
};

/** What to do instead of crossing a column of another type. */
const NOT_CROSSABLE: Record<Exclude<ColumnType, 'categorical' | 'bucketized' | 'multi-valued'>, (c: ParsedColumn) => string> = {
  numeric: () => 'bucketize it first',
  sequence: (c) => `add a multi-valued column with source '${'source' in c ? (c.source ?? c.name) : c.name}'`,
  crossed: () => 'list its components instead',
};

/**
 * A crossed column: distinct categorical, bucketized or multi-valued components that fit in one pass. With a
 * multi-valued component the cross is a bag per row, pooled by `pooling` and cut at `maxCrossIds`.
 */
function resolveCrossed(c: ParsedCrossed, feeds: Feed[], embeddingDim: number | null, at: string, byName: ReadonlyMap<string, ParsedColumn>, fail: Fail): ResolvedCrossed {
  if ((c.hashBuckets === undefined) === (c.vocabulary === undefined)) {
    fail(`crossed column '${c.name}' needs exactly one of hashBuckets or vocabulary`, at, 'write hashBuckets: 1000, or vocabulary: { minCount: 10 }');
  }
  if (new Set(c.components).size !== c.components.length) {
    fail(`crossed column '${c.name}' lists a component twice`, `${at}.components`, 'list each component once');
  }
  const usable = [...byName.values()].filter((x) => CROSSABLE[x.type] !== undefined).map((x) => x.name);
  let bag = false;
  c.components.forEach((comp, j) => {
    const target = byName.get(comp);
    const field = `${at}.components[${j}]`;
    const kind = target !== undefined ? CROSSABLE[target.type] : undefined;
    if (target === undefined) {
      fail(`crossed column '${c.name}' names unknown column '${comp}'`, field, `use one of the categorical, bucketized or multi-valued columns: ${usable.join(', ')}`);
    } else if (kind === undefined) {
      const how = NOT_CROSSABLE[target.type as keyof typeof NOT_CROSSABLE](target);
      fail(`crossed column '${c.name}' can only cross categorical, bucketized or multi-valued columns, '${comp}' is ${target.type}`, field, `${how}, or use one of: ${usable.join(', ')}`);
    } else if (c.vocabulary !== undefined && target.type === 'bucketized' && target.quantiles !== undefined) {
      fail(
        `crossed column '${c.name}' has a fitted vocabulary but component '${comp}' has fitted quantile boundaries; both cannot be fitted in one pass`,
        field,
        `give '${comp}' explicit boundaries, or give '${c.name}' hashBuckets instead of a vocabulary`,
      );
    } else if (kind.bag) bag = true;
  });
  if (!bag) {
    for (const key of ['pooling', 'maxCrossIds'] as const) {
      if (c[key] !== undefined) fail(`${key} is only used by a crossed column with a multi-valued component, and '${c.name}' has none`, `${at}.${key}`, `remove ${key}, or cross a multi-valued column`);
    }
  }
  const encoding = c.hashBuckets !== undefined
    ? { kind: 'hash' as const, numBuckets: c.hashBuckets }
    : { kind: 'vocabulary' as const, minCount: c.vocabulary?.minCount ?? 1, maxSize: c.vocabulary?.maxSize ?? null };
  return {
    type: c.type,
    name: c.name,
    components: c.components,
    commutative: c.commutative ?? false,
    feeds,
    embeddingDim,
    encoding,
    bag: bag ? { pooling: c.pooling ?? DEFAULTS.crossPooling, maxCrossIds: c.maxCrossIds ?? DEFAULTS.maxCrossIds } : null,
  };
}

type Ctx = (prefix: string, fix: string) => { code: 'CONFIG'; what: string; prefix: string; file: string | undefined; fix: string };

function parseColumn(raw: unknown, at: string, ctx: Ctx, fail: Fail): ParsedColumn {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(`${at} must be an object, got ${describe(raw)}`, at, `write it as { type: ..., name: ... } with type one of ${COLUMN_TYPES.join(', ')}`);
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !(COLUMN_TYPES as string[]).includes(type)) {
    return fail(`${at}.type is ${describe(type)}; valid types: ${COLUMN_TYPES.join(', ')}`, `${at}.type`, `set type to one of: ${COLUMN_TYPES.join(', ')}`);
  }
  const t = type as ColumnType;
  return parseWith(columnSchemas[t], raw, ctx(at, `see the '${t}' section of docs/FEATURES.md`));
}

function resolveColumn(c: ParsedColumn, at: string, byName: ReadonlyMap<string, ParsedColumn>, fail: Fail): ResolvedColumn {
  const feeds = resolveFeeds(c.feeds, c.type, at, fail);
  const embeddingDim = 'embeddingDim' in c ? (c.embeddingDim ?? null) : null;
  if (embeddingDim !== null && !feeds.includes('deep')) {
    fail(`column '${c.name}' sets embeddingDim but does not feed deep`, `${at}.embeddingDim`, `add 'deep' to feeds or remove embeddingDim`);
  }
  switch (c.type) {
    case 'categorical':
      if (c.prefix !== undefined && c.identity !== undefined) fail(`column '${c.name}' sets both prefix and identity`, `${at}.prefix`, 'identity reads whole integer ids: drop prefix, or use a vocabulary or hashBuckets');
      return { type: c.type, name: c.name, source: c.source ?? c.name, prefix: c.prefix ?? null, feeds, embeddingDim, encoding: resolveIdEncoding(c, at, fail) };
    case 'numeric':
      return resolveNumeric(c, feeds, at, fail);
    case 'bucketized': {
      if ((c.boundaries === undefined) === (c.quantiles === undefined)) {
        fail(`bucketized column '${c.name}' needs exactly one of boundaries or quantiles`, at, 'write boundaries: [18, 25, 30] or quantiles: 10');
      }
      const b = c.boundaries;
      if (b !== undefined) {
        for (let i = 1; i < b.length; i++) {
          if (!((b[i] as number) > (b[i - 1] as number))) fail(`boundaries must be strictly increasing, got ${b[i - 1]} then ${b[i]}`, `${at}.boundaries[${i}]`, 'sort the boundaries and remove duplicates');
        }
      }
      return { type: c.type, name: c.name, source: c.source ?? c.name, feeds, embeddingDim, boundaries: b ?? null, quantiles: c.quantiles ?? null };
    }
    case 'crossed':
      return resolveCrossed(c, feeds, embeddingDim, at, byName, fail);
    case 'multi-valued':
      return { type: c.type, name: c.name, source: c.source ?? c.name, separator: c.separator ?? null, pooling: c.pooling ?? 'mean', feeds, embeddingDim, encoding: resolveIdEncoding(c, at, fail) };
    case 'sequence':
      if (feeds.includes('wide')) fail(`sequence column '${c.name}' can only feed deep`, `${at}.feeds`, `set feeds: [deep], or use a multi-valued column for the wide part`);
      return { type: c.type, name: c.name, source: c.source ?? c.name, separator: c.separator ?? null, length: c.length, feeds, embeddingDim, encoding: resolveIdEncoding(c, at, fail) };
  }
}

type NumericInput = z.output<typeof numericSchema>;

function resolveNumeric(c: NumericInput, feeds: Feed[], at: string, fail: Fail): ResolvedNumeric {
  if (feeds.includes('wide')) {
    fail(`numeric column '${c.name}' cannot feed wide: the wide part takes sparse ids only`, `${at}.feeds`, `feed it to deep, and add { type: bucketized, name: ${c.name}_buckets, source: ${c.source ?? c.name} } to feed wide`);
  }
  if (c.clip !== undefined && !(c.clip.min < c.clip.max)) fail(`clip.min must be below clip.max`, `${at}.clip`, 'set clip: { min: lo, max: hi } with lo < hi');
  const normalize = c.normalize ?? 'none';
  if (c.numQuantiles !== undefined && normalize !== 'quantile') fail(`numQuantiles is only used with normalize: quantile`, `${at}.numQuantiles`, 'remove numQuantiles or set normalize: quantile');
  const strategy = c.missing?.strategy ?? 'error';
  if ((strategy === 'constant') !== (c.missing?.value !== undefined)) {
    fail(strategy === 'constant' ? `missing strategy 'constant' needs a value` : `missing.value is only used with strategy 'constant'`, `${at}.missing`, `write missing: { strategy: constant, value: 0 }, or another strategy without value`);
  }
  if (strategy === 'error' && c.missing?.indicator === true) fail(`a missing indicator needs a missing strategy other than 'error'`, `${at}.missing.indicator`, 'choose strategy mean, median, zero or constant');
  return {
    type: c.type,
    name: c.name,
    source: c.source ?? c.name,
    feeds,
    clip: c.clip ?? null,
    log1p: c.log1p ?? false,
    normalize,
    numQuantiles: normalize === 'quantile' ? (c.numQuantiles ?? DEFAULTS.numQuantiles) : null,
    missing: { strategy, value: c.missing?.value ?? null, indicator: c.missing?.indicator ?? false },
  };
}

function resolveFeeds(feeds: readonly Feed[] | undefined, type: ColumnType, at: string, fail: Fail): Feed[] {
  if (feeds === undefined) return [...DEFAULTS.feeds[type]];
  if (new Set(feeds).size !== feeds.length) fail(`feeds lists a part twice`, `${at}.feeds`, 'write [wide], [deep] or [wide, deep]');
  return (['wide', 'deep'] as const).filter((f) => feeds.includes(f));
}

interface IdEncodingKeys {
  name: string;
  vocabulary?: { minCount?: number | undefined; maxSize?: number | undefined } | undefined;
  values?: string[] | undefined;
  hashBuckets?: number | undefined;
  identity?: { numBuckets: number } | undefined;
}

function resolveIdEncoding(c: IdEncodingKeys, at: string, fail: Fail): IdEncodingConfig {
  const given = (['vocabulary', 'values', 'hashBuckets', 'identity'] as const).filter((k) => c[k] !== undefined);
  if (given.length > 1) {
    fail(`column '${c.name}' sets ${given.join(' and ')}; a column uses one encoding`, `${at}.${given[1]}`, 'keep one of vocabulary, values, hashBuckets, identity');
  }
  if (c.values !== undefined) {
    const seen = new Set<string>();
    c.values.forEach((v, i) => {
      if (seen.has(v)) fail(`values lists '${v}' twice`, `${at}.values[${i}]`, 'list every value once');
      seen.add(v);
    });
    return { kind: 'values', values: c.values };
  }
  if (c.hashBuckets !== undefined) return { kind: 'hash', numBuckets: c.hashBuckets };
  if (c.identity !== undefined) return { kind: 'identity', numBuckets: c.identity.numBuckets };
  return { kind: 'vocabulary', minCount: c.vocabulary?.minCount ?? 1, maxSize: c.vocabulary?.maxSize ?? null };
}

function resolveLabel(raw: unknown, ctx: Ctx, fail: Fail): ResolvedLabel {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(`label must be an object, got ${describe(raw)}`, 'label', `write label: { kind: binary, column: ..., positive: [...] }`);
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(LABEL_KINDS as string[]).includes(kind)) {
    return fail(`label.kind is ${describe(kind)}; valid kinds: ${LABEL_KINDS.join(', ')}`, 'label.kind', `set kind to one of: ${LABEL_KINDS.join(', ')}`);
  }
  const l = parseWith(labelSchemas[kind as LabelKind], raw, ctx('label', 'see the label section of docs/FEATURES.md'));
  const weight = l.weight ?? null;
  switch (l.kind) {
    case 'binary':
      if (l.positive !== undefined && l.predicate !== undefined) fail('a binary label takes positive values or a predicate, not both', 'label.predicate', 'remove one of them');
      if (l.negative !== undefined && l.positive === undefined) fail('label.negative needs label.positive', 'label.negative', 'list the positive values too');
      if (l.positive !== undefined && l.negative?.some((v) => l.positive?.includes(v))) fail('a value is listed as both positive and negative', 'label.negative', 'list each value in one of the two');
      return { kind: 'binary', column: l.column, positive: l.positive ?? null, negative: l.negative ?? null, predicate: l.predicate ?? null, weight };
    case 'regression':
      return { kind: 'regression', column: l.column, event: l.event ?? null, weight };
    case 'multiclass':
      if (l.classes !== undefined && new Set(l.classes).size !== l.classes.length) fail('label.classes lists a class twice', 'label.classes', 'list every class once');
      return { kind: 'multiclass', column: l.column, classes: l.classes ?? null, weight };
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? `'${v}'` : typeof v === 'object' ? 'an object' : String(v);
}
