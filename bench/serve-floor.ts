/**
 * The floor of the serving benchmark (bench/serve-case.ts, server `floor`): a node:http server that does
 * nothing a model server does beyond reading the request: POST /predict reads the body, JSON.parses it and
 * answers a fixed prediction per row, GET /health answers 200. Its latency over the same loopback, from the
 * same client on the same cores, is what this machine leaves for any server: a p99 goal below it cannot be met
 * here by any amount of work on the model server.
 *
 *   node --import tsx bench/serve-floor.ts     (prints {"event":"listening","url":...} on stdout)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The answer for n rows (made once per n): numbers of a model's answer's length. */
const answers = new Map<number, string>();
function answerFor(n: number): string {
  let a = answers.get(n);
  if (a === undefined) {
    a = JSON.stringify({ predictions: Array.from({ length: n }, (_, i) => 0.123456789 + i / 1e6) });
    answers.set(n, a);
  }
  return a;
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return void res.end('{"status":"ok"}');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let rows: unknown;
    try {
      rows = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rows?: unknown }).rows;
    } catch {
      rows = undefined;
    }
    const body = Array.isArray(rows) ? answerFor(rows.length) : '{"error":{"code":"REQUEST","message":"no rows"}}';
    res.writeHead(Array.isArray(rows) ? 200 : 400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
