import type { FastifyInstance } from 'fastify';
import type { FrontDoor } from './front.js';
import type { ServeRuntime } from './runtime.js';

/**
 * The bounded drain of `close()` (SIGTERM in the CLI). While requests are in flight the server keeps
 * listening and answering, with /ready at 503 (a load balancer's probe takes the instance out of rotation) and
 * `connection: close` on every answer (keep-alive clients reconnect elsewhere; front.ts counts the requests
 * in flight and marks their answers). Once nothing is in flight, or after `seconds` at the latest, it stops
 * listening and cuts every connection still open (a client sending its body a byte a second no longer holds
 * the process: the node:http server waited 43 s for one).
 */

/** Drains `app` (see the file comment), then waits for the batcher's queue and the slot's leases. */
export async function drain(app: FastifyInstance, rt: ServeRuntime, front: FrontDoor, seconds: number): Promise<void> {
  rt.phase = 'draining';
  front.drain();
  let expired = false;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      resolve();
    }, seconds * 1000);
  });
  await Promise.race([front.idle(), bound]);
  const closed = app.close();
  // Requests that came in after the last one finished still get until the bound.
  if (expired) app.server.closeAllConnections();
  else void bound.then(() => app.server.closeAllConnections());
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
  await rt.batcher?.close();
  await rt.slot?.close();
}
