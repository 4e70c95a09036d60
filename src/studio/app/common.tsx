import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import type { Loaded } from './use-api.js';

/** A failed read as the views show it: the message and, from the server's error body, the fix. */
export function ErrorBox(props: { error: Error }) {
  const e = props.error;
  return (
    <div class="error" role="alert">
      <strong>{e instanceof ApiError ? e.code : 'error'}</strong>: {e.message}
      {e instanceof ApiError && e.fix !== undefined && <div class="fix">fix: {e.fix}</div>}
    </div>
  );
}

/** Children once `loaded` holds data; a loading line or the error before that. */
export function Show<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const l = props.loaded;
  if (l.state === 'loading') return <p class="muted">loading…</p>;
  if (l.state === 'error') return <ErrorBox error={l.error} />;
  return <>{props.children(l.data)}</>;
}

/** A plain table from a header and rows of cells; `numeric` columns right-aligned. */
export function Table(props: { header: readonly string[]; rows: readonly (readonly ComponentChildren[])[]; numeric?: readonly boolean[]; caption?: string; testId?: string }) {
  const num = (j: number) => (props.numeric?.[j] === true ? 'num' : undefined);
  return (
    <table data-testid={props.testId}>
      {props.caption !== undefined && <caption>{props.caption}</caption>}
      <thead>
        <tr>{props.header.map((h, j) => <th class={num(j)}>{h}</th>)}</tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>{r.map((c, j) => <td class={num(j)}>{c}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

/** The files a listing could not read, each with why (nothing when there are none). */
export function UnreadFiles(props: { errors: readonly { readonly path: string; readonly error: string }[]; testId: string }) {
  if (props.errors.length === 0) return null;
  return (
    <div data-testid={props.testId}>
      <h3>Files that could not be read</h3>
      <ul>{props.errors.map((e) => <li><code>{e.path}</code>: {e.error}</li>)}</ul>
    </div>
  );
}
