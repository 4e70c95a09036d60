import { useState } from 'preact/hooks';
import type { Chart } from '../../experiments/charts.js';
import type { FoundRun, RunsListing, RunSummary } from '../runs.js';
import { fmt } from './api.js';
import { VegaChart } from './chart.js';
import { ErrorBox, Show, Table, UnreadFiles } from './common.js';
import { useApi } from './use-api.js';

/**
 * The runs view (#/runs): every fit and experiment trial under --runs, with the files that could not be read;
 * one run (#/runs/<id>): its metrics and charts (learning curves, ROC, calibration, ...); two runs side by
 * side (#/runs/compare?a=<id>&b=<id>).
 */

const HEADLINE = ['auc', 'logLoss', 'rmse', 'mae', 'accuracy'];

/** The first two headline metrics a run has, as `auc 0.8123, logLoss 0.4012`. */
function headline(m: Readonly<Record<string, unknown>> | null): string {
  if (m === null) return '-';
  const parts = HEADLINE.filter((k) => typeof m[k] === 'number').slice(0, 2);
  return parts.length === 0 ? '-' : parts.map((k) => `${k} ${fmt(m[k])}`).join(', ');
}

export const runHref = (id: string): string => `#/runs/${encodeURIComponent(id)}`;

function RunRow(props: { run: RunSummary; picked: boolean; onPick: (id: string) => void }) {
  const r = props.run;
  return [
    <input type="checkbox" aria-label={`compare ${r.name}`} checked={props.picked} onChange={() => props.onPick(r.id)} />,
    <a href={runHref(r.id)}>{r.name}</a>,
    r.kind,
    r.status,
    r.objective ?? '-',
    String(r.epochs),
    headline(r.validation),
    headline(r.test),
    r.path,
  ];
}

export function RunsList() {
  const loaded = useApi<RunsListing>('/api/runs');
  const [picked, setPicked] = useState<string[]>([]);
  const pick = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));
  return (
    <section data-view="runs" data-ready={loaded.state !== 'loading' ? 'true' : 'false'}>
      <h2>Runs</h2>
      <Show loaded={loaded}>
        {(data) => (
          <>
            <p class="muted">
              {data.runs.length} runs under <code>{data.root}</code>. Tick two to compare them.{' '}
              {picked.length === 2 && (
                <a class="button" href={`#/runs/compare?a=${encodeURIComponent(picked[0] as string)}&b=${encodeURIComponent(picked[1] as string)}`}>
                  compare the two
                </a>
              )}
            </p>
            {data.runs.length === 0 && <p>No run.json or results file here yet: run <code>widedeep fit --out {data.root}/&lt;name&gt;</code> or <code>widedeep experiment</code>.</p>}
            <Table testId="runs" header={['', 'run', 'kind', 'status', 'objective', 'epochs', 'validation', 'test', 'file']} rows={data.runs.map((r) => RunRow({ run: r, picked: picked.includes(r.id), onPick: pick }))} />
            <UnreadFiles errors={data.errors} testId="run-errors" />
          </>
        )}
      </Show>
    </section>
  );
}

function metricsRows(validation: Readonly<Record<string, unknown>> | null, test: Readonly<Record<string, unknown>> | null): string[][] {
  const keys = [...new Set([...Object.keys(validation ?? {}), ...Object.keys(test ?? {})])].filter((k) => typeof validation?.[k] === 'number' || typeof test?.[k] === 'number');
  return keys.map((k) => [k, fmt(validation?.[k]), fmt(test?.[k])]);
}

/** One run: what it is, its metrics and its charts. */
export function RunDetail(props: { id: string }) {
  const run = useApi<FoundRun>(`/api/runs/${encodeURIComponent(props.id)}`);
  const charts = useApi<{ charts: Chart[] }>(`/api/runs/${encodeURIComponent(props.id)}/charts`);
  const ready = run.state !== 'loading' && charts.state !== 'loading';
  return (
    <div class="run" data-run={props.id} data-ready={ready ? 'true' : 'false'}>
      <Show loaded={run}>
        {({ summary: s }) => (
          <>
            <h3>{s.name}</h3>
            <p class="muted">
              {s.kind} · {s.objective ?? '-'} · seed {s.seed ?? '-'} · {s.epochs} epochs · {fmt(s.seconds, 1)} s · <code>{s.path}</code>
            </p>
            <Table header={['metric', 'validation', 'test']} rows={metricsRows(s.validation, s.test)} numeric={[false, true, true]} />
          </>
        )}
      </Show>
      {charts.state === 'error' ? <ErrorBox error={charts.error} /> : null}
      {charts.state === 'ok' && (
        <div class="charts">
          {charts.data.charts.map((c) => <VegaChart spec={c.spec} title={c.title} />)}
          {charts.data.charts.length === 0 && <p class="muted">This run recorded nothing to draw.</p>}
        </div>
      )}
    </div>
  );
}

export function RunView(props: { id: string }) {
  return (
    <section data-view="run" data-ready="true">
      <p><a href="#/runs">← all runs</a></p>
      <RunDetail id={props.id} />
    </section>
  );
}

export function CompareView(props: { a: string; b: string }) {
  return (
    <section data-view="compare" data-ready="true">
      <p><a href="#/runs">← all runs</a></p>
      <div class="side-by-side">
        <RunDetail id={props.a} />
        <RunDetail id={props.b} />
      </div>
    </section>
  );
}
