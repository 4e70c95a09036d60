import pino from 'pino';

/**
 * Where `widedeep serve` writes its request log: stderr through pino's own destination (sonic-boom), in
 * batches. A line per request written straight to stderr is one write(2) per request on the event loop,
 * between an answer and the next request: the profile of one client at 200 candidates put it among the
 * largest costs of the Fastify server over the node:http one. Lines are gathered until `minBytes` (a few
 * dozen request lines) and written at once, and at the latest every `flushMs`, so a quiet server's lines still
 * appear promptly; `close` (the drain's end) and the process's `exit` write what is left. Writes stay
 * synchronous, so no line is in flight in another thread when the process exits.
 */
export interface LogDestination {
  /** The stream pino writes to (ServeOptions.logger.stream). */
  readonly stream: NodeJS.WritableStream;
  /** Writes what is buffered and stops the timer. */
  close(): void;
}

export interface LogBatching {
  /** File descriptor to write to. Default 2 (stderr). */
  readonly fd?: number;
  /** Bytes gathered before a write. Default 4096. */
  readonly minBytes?: number;
  /** Longest a line waits. Default 200 ms. */
  readonly flushMs?: number;
}

export function batchedLog(options: LogBatching = {}): LogDestination {
  const dest = pino.destination({ dest: options.fd ?? 2, sync: true, minLength: options.minBytes ?? 4096 });
  const timer = setInterval(() => dest.flush(), options.flushMs ?? 200);
  timer.unref();
  const atExit = (): void => dest.flushSync();
  process.once('exit', atExit);
  let closed = false;
  return {
    stream: dest as unknown as NodeJS.WritableStream,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      process.off('exit', atExit);
      dest.flushSync();
    },
  };
}
