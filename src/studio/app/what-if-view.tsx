import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ExampleRow } from '../example-row.js';
import type { InputField } from '../input-fields.js';
import { breakdownOf, waterfallSpec, waterfallSteps } from '../waterfall.js';
import type { Explanation, MulticlassExplanation, WebBundle } from '../../web/index.js';
import { getJson } from './api.js';
import { VegaChart } from './chart.js';
import { ErrorBox, Show } from './common.js';
import type { ModelData } from './model-view.js';
import { useApi } from './use-api.js';

/**
 * The what-if view (#/what-if): a form for one row (a field per input column, prefilled from a test row),
 * scored in the page by `widedeep/web` (served at /web, the bundle at /bundle) on every edit, with the row's
 * logit drawn as a waterfall: wide bias, the strongest fired wide terms, the other wide terms, the deep
 * logit, the logit and the prediction. A value the model refuses is shown under its field with the fix.
 */

const WEB_URL = '/web/widedeep-web.js';
type Web = typeof import('../../web/index.js');
let bundle: Promise<WebBundle> | null = null;

/** widedeep/web and the studio's bundle, loaded once per page. */
function studioBundle(): Promise<WebBundle> {
  bundle ??= (import(/* a URL the studio serves, not bundled */ WEB_URL) as Promise<Web>).then((web) => web.loadBundle('/bundle'));
  return bundle;
}

/** The text a field shows for a row's value. */
function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** The row the form's texts make: empty is missing (null), a number field a number when it reads as one, a list split at commas. */
export function rowOf(fields: readonly InputField[], texts: Readonly<Record<string, string>>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of fields) {
    const t = (texts[f.name] ?? '').trim();
    if (f.control === 'list') row[f.name] = t === '' ? [] : t.split(',').map((s) => s.trim()).filter((s) => s !== '');
    else if (t === '') row[f.name] = null;
    else if (f.control === 'number') row[f.name] = Number.isNaN(Number(t)) ? t : Number(t);
    else row[f.name] = t;
  }
  return row;
}

type Scored = { state: 'idle' } | { state: 'ok'; explanation: Explanation | MulticlassExplanation } | { state: 'error'; error: Error & { reason?: string; details?: { field?: string; fix?: string } } };

function Field(props: { f: InputField; text: string; error: string | null; onInput: (v: string) => void }) {
  const { f } = props;
  const id = `field-${f.name}`;
  const onInput = (e: Event) => props.onInput((e.currentTarget as HTMLInputElement | HTMLSelectElement).value);
  const list = f.control !== 'select' && f.values.length > 0 ? `${id}-values` : undefined;
  return (
    <div class={`field${props.error !== null ? ' invalid' : ''}`} data-field={f.name}>
      <label for={id} title={f.usedBy.join(', ')}>{f.name}</label>
      {f.control === 'select' ? (
        <select id={id} name={f.name} value={props.text} onChange={onInput}>
          <option value="">(missing)</option>
          {!f.values.includes(props.text) && props.text !== '' && <option value={props.text}>{props.text} (unseen)</option>}
          {f.values.map((v) => <option value={v}>{v}</option>)}
        </select>
      ) : (
        <input id={id} name={f.name} type="text" inputMode={f.control === 'number' ? 'decimal' : undefined} list={list} value={props.text} onInput={onInput} placeholder={f.control === 'list' ? 'a, b, c' : ''} />
      )}
      {list !== undefined && <datalist id={list}>{f.values.map((v) => <option value={v} />)}</datalist>}
      {props.error !== null && <div class="field-error" role="alert">{props.error}</div>}
    </div>
  );
}

function Result(props: { scored: Scored }) {
  const s = props.scored;
  const shown = useMemo(() => {
    if (s.state !== 'ok') return null;
    const { breakdown, prediction, label } = breakdownOf(s.explanation);
    return { prediction, label, spec: waterfallSpec(waterfallSteps(breakdown), `logit ${breakdown.logit.toFixed(4)} → ${label} ${prediction.toFixed(4)}`) };
  }, [s]);
  if (s.state === 'idle') return <p class="muted">scoring…</p>;
  if (shown === null) return null;
  return (
    <div class="result">
      <p class="prediction">
        {shown.label}: <output data-testid="prediction" data-value={String(shown.prediction)}>{shown.prediction.toFixed(6)}</output>
      </p>
      <VegaChart spec={shown.spec} title="waterfall of the logit" />
    </div>
  );
}

function Form(props: { m: ModelData; start: ExampleRow; onAnother: () => void }) {
  const fields = props.m.inputs;
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, textOf(props.start.row[f.name])])));
  const [scored, setScored] = useState<Scored>({ state: 'idle' });
  const [loadError, setLoadError] = useState<Error | null>(null);
  useEffect(() => setTexts(Object.fromEntries(fields.map((f) => [f.name, textOf(props.start.row[f.name])]))), [props.start]);
  useEffect(() => {
    let live = true;
    const row = rowOf(fields, texts);
    studioBundle().then(
      (b) =>
        b.explain([row], { topK: 10 }).then(
          (r) => live && setScored({ state: 'ok', explanation: r.explanations[0] as Explanation | MulticlassExplanation }),
          (error: Error) => live && setScored({ state: 'error', error }),
        ),
      (error: Error) => live && setLoadError(new Error(`the model could not be loaded in the page: ${error.message}`)),
    );
    return () => {
      live = false;
    };
  }, [texts]);
  const field = scored.state === 'error' ? scored.error.details?.field : undefined;
  // A WideDeepError's reason and fix (its message also names the row and the field, which the form shows already).
  const fieldError = (name: string) => {
    if (field !== name || scored.state !== 'error') return null;
    const { reason, message, details } = scored.error;
    return `${reason ?? message}${details?.fix !== undefined ? ` (fix: ${details.fix})` : ''}`;
  };
  const known = field !== undefined && fields.some((f) => f.name === field);
  return (
    <div class="what-if" data-scored={scored.state}>
      <p class="muted">
        Starting row: {props.start.note}. <button type="button" onClick={props.onAnother}>another test row</button>
      </p>
      {loadError !== null && <ErrorBox error={loadError} />}
      <form class="fields" onSubmit={(e) => e.preventDefault()}>
        {fields.map((f) => <Field f={f} text={texts[f.name] ?? ''} error={fieldError(f.name)} onInput={(v) => setTexts((t) => ({ ...t, [f.name]: v }))} />)}
      </form>
      {scored.state === 'error' && !known && <ErrorBox error={scored.error} />}
      {scored.state !== 'error' && <Result scored={scored} />}
    </div>
  );
}

export function WhatIfView() {
  const model = useApi<ModelData>('/api/model');
  const [index, setIndex] = useState(0);
  const [start, setStart] = useState<ExampleRow | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    getJson<ExampleRow>(`/api/model/example-row?index=${index}`).then(setStart, setError);
  }, [index]);
  return (
    <section data-view="what-if" data-ready={model.state !== 'loading' && (start !== null || error !== null || model.state === 'error') ? 'true' : 'false'}>
      <h2>What if</h2>
      <Show loaded={model}>{(m) => (error !== null ? <ErrorBox error={error} /> : start === null ? <p class="muted">loading…</p> : <Form m={m} start={start} onAnother={() => setIndex((i) => i + 1)} />)}</Show>
    </section>
  );
}
