import * as ort from 'onnxruntime-web';
import { WideDeepError } from '../core/errors.js';
import { modelOfBundle } from '../artifact/bundle-model.js';
import type { Manifest } from '../artifact/manifest-schema.js';
import { inputColumns } from '../features/checks.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { ModelSizes } from '../model/sizes.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { webExecutor } from '../runtime/web.js';
import { predictRows, type RowExplanations, type RowPredictions } from '../serve/predict-rows.js';
import { type Fetch, fetchBundle } from './fetch-bundle.js';

export interface LoadBundleOptions {
  /**
   * onnxruntime-web's wasm threads. Default: 1 for a small dense part (as in Node, `autoThreads`), else the
   * page's cores up to 4 where the page is cross-origin isolated, else 1. More than 1 needs cross-origin
   * isolation (COOP + COEP headers, docs/WEB.md); without it this is lowered to 1.
   */
  readonly threads?: number;
  /**
   * Where onnxruntime-web finds ort-wasm-simd-threaded.wasm and .mjs: a URL prefix ending in `/`. Default: the
   * folder of widedeep-web.js, where `npm run build` puts them.
   */
  readonly wasmPaths?: string;
  /** The fetch to read the bundle with. Default: the page's `fetch`. */
  readonly fetch?: Fetch;
}

/** What a loaded bundle is: where it came from, how it was made, what it reads and predicts. */
export interface BundleMetadata {
  /** The URL given to loadBundle. */
  readonly url: string;
  /** The version directory read (`<url>/v-3`), or `url` itself for a bundle without a `current` pointer. */
  readonly source: string;
  /** The version the `current` pointer named; null without one. */
  readonly version: string | null;
  /** The bundle digest (format 2), checked on load; null for a format-1 bundle. */
  readonly digest: string | null;
  readonly library: Manifest['library'];
  readonly createdAt: string;
  readonly kind: string;
  readonly objective: ModelSizes['objective'];
  /** Class names of a multi-class model, in the order of its probabilities; null otherwise. */
  readonly classes: readonly string[] | null;
  /** The input columns the rows are read from (what a row should carry). */
  readonly inputs: readonly string[];
  /** The metrics recorded at training (test, validation, history). */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** The wasm threads onnxruntime-web runs with. */
  readonly threads: number;
}

/** A bundle ready to score rows in the page. */
export interface WebBundle {
  readonly metadata: BundleMetadata;
  /** The manifest as parsed (spec, model config, sizes, metrics): what a page shows about the model. */
  readonly manifest: Manifest;
  /** The fitted feature spec (vocabularies, boundaries, hash sizes). */
  readonly spec: FittedSpec;
  /**
   * Scores JSON rows (objects keyed by input column) as Node's `predictRows` does, with the same code: one
   * prediction per row, `ignoredColumns` for keys nothing reads; a bad row throws a WideDeepError (code DATA)
   * naming its 1-based row and field. `source` names the rows in errors (default 'rows').
   */
  predict(rows: readonly unknown[], options?: { source?: string }): Promise<RowPredictions>;
  /** Explains JSON rows as `predictRows(..., { explain: true, topK })` does: wide terms (top `topK`, default 5), deep logit. */
  explain(rows: readonly unknown[], options?: { topK?: number; source?: string }): Promise<RowExplanations>;
  /** Frees the ONNX Runtime sessions. */
  release(): Promise<void>;
}

/** Rows must be a list: a single object or anything else is refused before it reaches the transform. */
function checkRows(rows: unknown, source: string): readonly unknown[] {
  if (Array.isArray(rows)) return rows;
  throw new WideDeepError('DATA', `${source} must be an array of row objects, got ${rows === null ? 'null' : typeof rows}`, { field: source, fix: 'pass [row] for one row' });
}

/** The thread count asked for, lowered to 1 where the page is not cross-origin isolated (no SharedArrayBuffer). */
function threadsOf(options: LoadBundleOptions): { threads?: number } {
  if (options.threads === undefined) return {};
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return { threads: isolated ? Math.max(1, Math.floor(options.threads)) : 1 };
}

/** The page's handle on a loaded model: predict and explain through Node's predictRows, on the wasm executor. */
function webBundle(model: WideDeepModel, metadata: BundleMetadata, manifest: Manifest, spec: FittedSpec): WebBundle {
  return {
    metadata,
    manifest,
    spec,
    predict: (rows, o = {}) => {
      const source = o.source ?? 'rows';
      return predictRows(model, spec, checkRows(rows, source), { source });
    },
    explain: (rows, o = {}) => {
      const source = o.source ?? 'rows';
      return predictRows(model, spec, checkRows(rows, source), { explain: true, source, ...(o.topK !== undefined ? { topK: o.topK } : {}) });
    },
    release: () => model.release(),
  };
}

/**
 * Loads a model bundle over fetch and makes it ready to score in the page: follows `<url>/current` to the
 * version directory, fetches manifest.json and weights.bin, checks them all (sha256 and digest with Web
 * Crypto, then the same checks as Node's readBundle), builds the model with onnxruntime-web (wasm, SIMD) and
 * loads the weights. `url`: the bundle directory (`<out>/model` of `widedeep fit`) as served over HTTP.
 */
export async function loadBundle(url: string | URL, options: LoadBundleOptions = {}): Promise<WebBundle> {
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  // Node's RequestInit type has no `cache`, which browsers read (the pointer is revalidated, fetch-bundle.ts).
  const fetchFn: Fetch = options.fetch ?? ((u, init) => fetch(u, init as Parameters<typeof fetch>[1]));
  const given = String(url);
  const { bundle, source, version } = await fetchBundle(given, fetchFn);
  const model = await modelOfBundle(source, bundle, { executor: webExecutor, ...threadsOf(options) });
  const { manifest: m, spec } = bundle;
  const metadata: BundleMetadata = {
    url: given,
    source,
    version,
    digest: m.formatVersion === 2 ? m.digest : null,
    library: m.library,
    createdAt: m.createdAt,
    kind: bundle.model.kind,
    objective: bundle.sizes.objective,
    classes: spec.label?.kind === 'multiclass' ? spec.label.classes : null,
    inputs: inputColumns(spec),
    metrics: m.metrics,
    threads: ort.env.wasm.numThreads ?? 1,
  };
  return webBundle(model, metadata, m, spec);
}
