/**
 * The page's reads of the studio's API: GET a JSON path, and an error answer (`{"error":{code,message,fix}}`,
 * src/studio/http-errors.ts) thrown as an ApiError the views show with its fix.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fix: string | undefined,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T | { error?: { code?: string; message?: string; fix?: string } };
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; fix?: string } }).error ?? {};
    throw new ApiError(res.status, e.code ?? 'HTTP', e.message ?? `${path}: HTTP ${res.status}`, e.fix);
  }
  return body as T;
}

/** A number as the tables show it: 4 decimals, `-` for null/NaN. */
export function fmt(v: unknown, digits = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
}
