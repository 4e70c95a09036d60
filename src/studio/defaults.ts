/**
 * The studio's defaults, in a module that imports nothing: `widedeep studio --help` shows them without loading
 * the server (Fastify, DuckDB).
 */

/** The port `startStudio` listens on when none is given. */
export const DEFAULT_PORT = 8765;
