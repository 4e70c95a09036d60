import { HttpError } from './errors.js';

/**
 * The JSON schemas of the routes: Fastify validates the /predict body with them (Ajv), serializes the small
 * answers with them (fast-json-stringify; /predict's own answers go through JSON.stringify, faster on arrays of
 * fresh floats: routes.ts), and @fastify/swagger writes /openapi.json from them, so the document cannot drift
 * from what the server does.
 * A validation failure is answered as the server always has: code REQUEST, naming the field, the row and the
 * fix (`requestError`).
 */

export const MAX_TOP_K = 1000;
export const DEFAULT_TOP_K = 5;

/** The /predict body: {"rows": [object, ...], "explain"?: boolean, "topK"?: 1..1000}, nothing else. */
export function predictBody(maxRows: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['rows'],
    properties: {
      rows: { type: 'array', minItems: 1, maxItems: maxRows, items: { type: 'object', description: 'a row keyed by input column (GET /metadata lists them)' } },
      explain: { type: 'boolean', default: false, description: 'answer explanations instead of bare predictions' },
      topK: { type: 'integer', minimum: 1, maximum: MAX_TOP_K, default: DEFAULT_TOP_K, description: 'fired wide terms per explanation' },
    },
  } as const;
}

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, row: { type: 'integer', description: '1-based, in request order' }, field: { type: 'string' }, fix: { type: 'string' } },
    },
  },
} as const;

const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const predictResponse = {
  200: {
    type: 'object',
    description: 'predictions, or with "explain": true explanations, one per row in request order',
    properties: {
      predictions: { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, description: 'class probabilities (multi-class)' }] } },
      explanations: { type: 'array', items: { type: 'object', additionalProperties: true } },
      ignoredColumns: { type: 'array', items: { type: 'string' }, description: 'keys no feature reads (a misspelt column shows here)' },
    },
  },
  ...errors,
} as const;

export const statusResponse = { 200: { type: 'object', properties: { status: { type: 'string' } } }, 503: errorSchema } as const;

export const metadataResponse = {
  200: {
    type: 'object',
    properties: {
      digest: { type: 'string', description: "the bundle manifest's digest ('' for a model given in memory)" },
      loadedAt: { type: 'string', format: 'date-time' },
      source: { type: 'string', description: 'the version directory the model was read from' },
      outputs: { type: 'integer' },
      classes: { type: 'array', items: { type: 'string' } },
      inputs: { type: 'array', items: { type: 'string' }, description: 'the columns a row may carry' },
    },
  },
  ...errors,
} as const;

export const reloadResponse = { 200: { type: 'object', properties: { digests: { type: 'array', items: { type: 'string' } } } }, ...errors } as const;

export const textResponse = { 200: { type: 'string', description: 'Prometheus text exposition format' }, ...errors } as const;

/** One Ajv error as Fastify hands it over. */
interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

const rowsError = (): HttpError => new HttpError(400, 'REQUEST', '"rows" must be a non-empty list of row objects', { field: 'rows', fix: 'POST {"rows": [{"column": value, ...}]}' });

/** The answer to a /predict body the schema refuses, worded as the server always has. */
export function requestError(validation: readonly AjvError[], body: unknown, maxRows: number): HttpError {
  const e = validation[0];
  const path = e?.instancePath ?? '';
  if (e === undefined || (path === '' && e.keyword === 'type')) return new HttpError(400, 'REQUEST', 'the body must be a JSON object', { fix: 'POST {"rows": [{...}, ...]}' });
  if (e.keyword === 'additionalProperties') {
    const key = String(e.params.additionalProperty);
    return new HttpError(400, 'REQUEST', `unknown key "${key}" in the request`, { field: key, fix: 'valid keys are: rows, explain, topK' });
  }
  if (path === '' || path === '/rows') {
    if (e.keyword !== 'maxItems') return rowsError();
    const n = (body as { rows: unknown[] }).rows.length;
    return new HttpError(400, 'REQUEST', `${n} rows in one request, more than the limit of ${maxRows}`, { field: 'rows', fix: 'split the rows over several requests' });
  }
  const row = /^\/rows\/(\d+)$/.exec(path);
  if (row !== null) return new HttpError(400, 'REQUEST', 'a row must be a JSON object keyed by column', { row: Number(row[1]) + 1, field: 'rows', fix: 'send {"column": value, ...} for every row' });
  if (path === '/explain') return new HttpError(400, 'REQUEST', '"explain" must be true or false', { field: 'explain' });
  if (path === '/topK') return new HttpError(400, 'REQUEST', `"topK" must be a whole number from 1 to ${MAX_TOP_K}`, { field: 'topK' });
  return new HttpError(400, 'REQUEST', `${path.slice(1)} ${e.message ?? 'is not valid'}`, { field: path.slice(1) });
}
