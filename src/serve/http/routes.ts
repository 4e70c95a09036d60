import type { FastifyInstance, FastifyReply } from 'fastify';
import { inputColumns } from '../../features/checks.js';
import type { ServedModel } from '../model-slot.js';
import { type RequestRows, rowCount } from '../request-batch.js';
import { type ServeRuntime, notReady } from './runtime.js';
import { DEFAULT_TOP_K, metadataResponse, predictBody, predictResponse, statusResponse, textResponse } from './schemas.js';

/**
 * The routes every server has: GET /health (liveness: the process answers), GET /ready (readiness: 503 while
 * the model loads and while the server drains), GET /metadata, POST /predict, GET /metrics, GET /openapi.json.
 * /admin/reload is in admin.ts.
 */

function served(rt: ServeRuntime): ServedModel {
  if (rt.slot === undefined) throw notReady(rt);
  return rt.slot.current();
}

/** GET /metadata: the serving model's digest, load time, source, outputs, classes (multi-class) and inputs. */
function metadata(s: ServedModel): Record<string, unknown> {
  const label = s.spec.label;
  return { digest: s.digest, loadedAt: s.loadedAt, source: s.source, outputs: s.model.outputs, ...(label?.kind === 'multiclass' ? { classes: label.classes } : {}), inputs: inputColumns(s.spec) };
}

const stringify = (data: unknown): string => JSON.stringify(data);

/** A /predict body its schema accepted (its rows possibly read straight into columns: direct-predict.ts). */
export interface PredictRequest {
  readonly rows: RequestRows;
  readonly explain?: boolean;
  readonly topK?: number;
}

/** The answer to a valid /predict body and the digest of the model that scored it (both ways to /predict). */
export async function predictAnswer(rt: ServeRuntime, body: PredictRequest): Promise<{ readonly digest: string; readonly body: unknown }> {
  if (rt.batcher === undefined) throw notReady(rt);
  // A request scores every row it sends or none (a bad row is a 400, never a shorter answer).
  const scored = await rt.batcher.score({ rows: body.rows, explain: body.explain === true, topK: body.topK ?? DEFAULT_TOP_K });
  rt.metrics.scored(rowCount(body.rows));
  return scored;
}

export function registerRoutes(app: FastifyInstance, rt: ServeRuntime, maxRows: number): void {
  app.get('/health', { schema: { summary: 'liveness: 200 while the process answers', response: statusResponse } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { summary: 'readiness: 503 while the model loads or the server drains', response: statusResponse } }, async () => {
    if (rt.phase !== 'ready') throw notReady(rt);
    return { status: 'ready' };
  });

  app.get('/metadata', { schema: { summary: 'the serving model: digest, load time, source, outputs, classes, input columns', response: metadataResponse } }, async () => metadata(served(rt)));

  // The answers are serialized by JSON.stringify, not by the schema's fast-json-stringify: with fresh floats (no
  // number-to-string cache hits) a 200-row answer took 76-165 us with JSON.stringify against 320-430 us
  // (scratch bench of 5,000 answers, 2 loaded cores, 2026-12-06); the schema still documents the answer.
  // The plain requests take direct-predict.ts's path to the same `predictAnswer`, before Fastify.
  app.post('/predict', { schema: { summary: 'score rows (or explain them), in request order', body: predictBody(maxRows), response: predictResponse }, serializerCompiler: () => stringify }, async (request, reply: FastifyReply) => {
    const scored = await predictAnswer(rt, request.body as PredictRequest);
    void reply.header('x-model-digest', scored.digest);
    return scored.body;
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text format)', response: textResponse } }, async (_request, reply) => {
    const { contentType, text } = await rt.control.metrics();
    void reply.type(contentType);
    return text;
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
