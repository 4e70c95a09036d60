import { WideDeepError } from '../core/errors.js';

/**
 * Overrides address any place in a run config with a path:
 *
 * | path                                         | means                                              |
 * |----------------------------------------------|----------------------------------------------------|
 * | `model.deep.hidden`                          | a key (missing objects on the way are created)     |
 * | `features.columns[3].hashBuckets`            | an array element by index                          |
 * | `features.columns[name=age].boundaries`      | every element whose `name` is `age` (at least one) |
 * | `features.columns+`                          | append the value (or each item of a list value)    |
 * | value `null`                                 | delete the key or the selected elements            |
 *
 * Setting a key that does not exist creates it; the run config parser then rejects keys that are not config
 * keys, so a typo still fails before any trial runs.
 */
type Segment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'select'; readonly field: string; readonly value: string };

interface ParsedPath {
  readonly segments: readonly Segment[];
  readonly append: boolean;
}

function pathError(path: string, message: string): WideDeepError {
  return new WideDeepError('CONFIG', `override ${path}: ${message}`, {
    field: path,
    fix: 'paths look like model.deep.hidden, features.columns[2].hashBuckets, features.columns[name=age].boundaries or features.columns+',
  });
}

export function parsePath(path: string): ParsedPath {
  const append = path.endsWith('+');
  const body = append ? path.slice(0, -1) : path;
  const segments: Segment[] = [];
  let i = 0;
  while (i < body.length) {
    if (segments.length > 0 && body[i] === '.') i++;
    else if (segments.length > 0 && body[i] === '[') {
      const close = body.indexOf(']', i);
      if (close < 0) throw pathError(path, 'a [ has no ]');
      const inner = body.slice(i + 1, close);
      const eq = inner.indexOf('=');
      if (/^\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (eq > 0) segments.push({ kind: 'select', field: inner.slice(0, eq), value: inner.slice(eq + 1) });
      else throw pathError(path, `[${inner}] is neither an index nor field=value`);
      i = close + 1;
      continue;
    } else if (segments.length > 0) throw pathError(path, `expected . or [ at position ${i}`);
    const m = /^[^.[\]]+/.exec(body.slice(i));
    if (!m) throw pathError(path, `expected a key at position ${i}`);
    segments.push({ kind: 'key', key: m[0] });
    i += m[0].length;
  }
  if (segments.length === 0) throw pathError(path, 'empty path');
  return { segments, append };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of plain JSON-like data. */
export function cloneData<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Applies one override to `root` in place. */
export function applyOverride(root: Record<string, unknown>, path: string, value: unknown): void {
  const { segments, append } = parsePath(path);
  walk(root, segments, 0, path, (container, seg) => {
    if (append) {
      const target = getChild(container, seg, path);
      const list = target === undefined && seg.kind === 'key' ? [] : target;
      if (!Array.isArray(list)) throw pathError(path, 'append (+) needs an array there');
      list.push(...(Array.isArray(value) ? cloneData(value) : [cloneData(value)]));
      if (seg.kind === 'key') (container as Record<string, unknown>)[seg.key] = list;
      return;
    }
    setChild(container, seg, value, path);
  });
}

function getChild(container: unknown, seg: Segment, path: string): unknown {
  if (seg.kind === 'key') {
    if (!isObject(container)) throw pathError(path, `cannot read key ${seg.key} of a non-mapping`);
    return container[seg.key];
  }
  if (!Array.isArray(container)) throw pathError(path, 'an index or selector needs an array');
  if (seg.kind === 'index') {
    if (seg.index >= container.length) throw pathError(path, `index ${seg.index} is out of range (length ${container.length})`);
    return container[seg.index];
  }
  throw pathError(path, 'a selector cannot be the target of an append');
}

function setChild(container: unknown, seg: Segment, value: unknown, path: string): void {
  if (seg.kind === 'key') {
    if (!isObject(container)) throw pathError(path, `cannot set key ${seg.key} of a non-mapping`);
    if (value === null) delete container[seg.key];
    else container[seg.key] = cloneData(value);
    return;
  }
  if (!Array.isArray(container)) throw pathError(path, 'an index or selector needs an array');
  const hits = matches(container, seg, path);
  if (value === null) {
    for (const i of [...hits].reverse()) container.splice(i, 1);
  } else {
    for (const i of hits) container[i] = cloneData(value);
  }
}

function matches(list: unknown[], seg: Segment, path: string): number[] {
  if (seg.kind === 'index') {
    if (seg.index >= list.length) throw pathError(path, `index ${seg.index} is out of range (length ${list.length})`);
    return [seg.index];
  }
  if (seg.kind === 'key') throw pathError(path, 'internal: key segment on an array');
  const hits: number[] = [];
  list.forEach((el, i) => {
    if (isObject(el) && String(el[seg.field]) === seg.value) hits.push(i);
  });
  if (hits.length === 0) throw pathError(path, `no element has ${seg.field}=${seg.value}`);
  return hits;
}

function walk(node: unknown, segs: readonly Segment[], at: number, path: string, leaf: (container: unknown, seg: Segment) => void): void {
  const seg = segs[at] as Segment;
  if (at === segs.length - 1) {
    leaf(node, seg);
    return;
  }
  if (seg.kind === 'key') {
    if (!isObject(node)) throw pathError(path, `cannot go into key ${seg.key} of a non-mapping`);
    if (node[seg.key] === undefined) node[seg.key] = (segs[at + 1] as Segment).kind === 'key' ? {} : [];
    walk(node[seg.key], segs, at + 1, path, leaf);
    return;
  }
  if (!Array.isArray(node)) throw pathError(path, 'an index or selector needs an array');
  for (const i of matches(node, seg, path)) walk(node[i], segs, at + 1, path, leaf);
}

/** JSON with object keys sorted at every level: equal data, equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
