import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * What the throwaway servers of the tests (redis-server.ts, nats-server.ts, kafka-mock.ts) share: a loopback
 * port to start on, and a bounded stop of the child process.
 */

/** A loopback port that was free a moment ago (the server binds it next; a lost race is retried by its starter). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/**
 * Stops a child and resolves when it has exited: `ask` asks it to end (default SIGTERM; a script that ends
 * when its stdin closes passes `() => child.stdin?.end()`), SIGKILL after 3 s.
 */
export function stopChild(child: ChildProcess, ask: () => void = () => child.kill('SIGTERM')): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      ok();
    });
    ask();
  });
}
