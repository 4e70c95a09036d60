import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServedModel } from '../model-slot.js';

/**
 * The Prometheus metrics of one server process, on a registry of its own (never prom-client's global one:
 * two servers in one process, or a test's, would share counters). GET /metrics writes them in the text format;
 * a cluster's primary merges its workers' (`registry.getMetricsAsJSON()`, src/serve/cluster.ts).
 *
 *   widedeep_http_requests_total{route,status_code}   answered requests (route: the route's path, or "unmatched")
 *   widedeep_http_errors_total{code}                   failed requests by error code (REQUEST, DATA, TOO_LARGE, ...)
 *   widedeep_http_request_duration_seconds{route}      latency, first byte in to last byte out
 *   widedeep_rows_scored_total                         rows answered with a prediction or explanation
 *   widedeep_predict_bodies_total{reader}               /predict bodies read: "columns" (straight into columns,
 *                                                      features/json-rows.ts) or "json" (JSON.parse: any other body)
 *   widedeep_batch_rows, widedeep_batch_requests       per model call of the micro-batcher: rows, requests coalesced
 *   widedeep_model_info{digest}                        1 for the model serving now (a cluster: workers serving it)
 *   widedeep_model_load_seconds                        how long that model took to load (a cluster: the slowest)
 *   process_*, nodejs_*                                prom-client's default process metrics (RSS, heap, event loop lag)
 */
export class ServeMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'widedeep_http_requests_total', help: 'HTTP requests answered, by route and status code', labelNames: ['route', 'status_code'] as const, registers: [this.registry] });
  private readonly errors = new Counter({ name: 'widedeep_http_errors_total', help: 'failed HTTP requests, by error code', labelNames: ['code'] as const, registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'widedeep_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly rows = new Counter({ name: 'widedeep_rows_scored_total', help: 'rows answered with a prediction or an explanation', registers: [this.registry] });
  private readonly bodies = new Counter({ name: 'widedeep_predict_bodies_total', help: '/predict bodies read straight into columns ("columns") or by JSON.parse ("json")', labelNames: ['reader'] as const, registers: [this.registry] });
  private readonly bodyReaders = { columns: this.bodies.labels('columns'), json: this.bodies.labels('json') };
  private readonly batchRows = new Histogram({ name: 'widedeep_batch_rows', help: 'rows per model call (micro-batches)', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000], registers: [this.registry] });
  private readonly batchRequests = new Histogram({ name: 'widedeep_batch_requests', help: 'requests coalesced per model call', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [this.registry] });
  /** Summed over a cluster's workers: how many serve each digest. */
  private readonly modelInfo = new Gauge({ name: 'widedeep_model_info', help: 'the model serving now: 1 for its digest (with workers: how many serve it)', labelNames: ['digest'] as const, aggregator: 'sum', registers: [this.registry] });
  private readonly loadSeconds = new Gauge({ name: 'widedeep_model_load_seconds', help: 'seconds the serving model took to load (with workers: the slowest)', aggregator: 'max', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The label children of each (route, status), resolved once: prom-client hashes a label object on every call. */
  private readonly children = new Map<string, { readonly count: { inc(): void }; readonly latency: { observe(v: number): void } }>();

  request(route: string, status: number, seconds: number): void {
    const key = `${status} ${route}`;
    let c = this.children.get(key);
    if (c === undefined) {
      c = { count: this.requests.labels(route, String(status)), latency: this.latency.labels(route) };
      this.children.set(key, c);
    }
    c.count.inc();
    c.latency.observe(seconds);
  }

  error(code: string): void {
    this.errors.inc({ code });
  }

  scored(rows: number): void {
    this.rows.inc(rows);
  }

  /** A /predict body read: straight into columns, or by JSON.parse. */
  body(reader: 'columns' | 'json'): void {
    this.bodyReaders[reader].inc();
  }

  /** MicroBatcher's onBatch. */
  batch(stats: { readonly rows: number; readonly requests: number }): void {
    this.batchRows.observe(stats.rows);
    this.batchRequests.observe(stats.requests);
  }

  /** The model serving now (at start and after every swap). */
  model(served: ServedModel): void {
    this.modelInfo.reset();
    this.modelInfo.set({ digest: served.digest }, 1);
    this.loadSeconds.set(served.loadSeconds);
  }
}
