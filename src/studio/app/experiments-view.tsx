import type { ExperimentsView as Data, SuiteView } from '../experiments-view.js';
import { fmt } from './api.js';
import { VegaChart } from './chart.js';
import { Show, UnreadFiles } from './common.js';
import { runHref } from './runs-view.js';
import { useApi } from './use-api.js';

/**
 * The experiments view (#/experiments): every suite of every results file under --runs, as `widedeep report`
 * summarises it: mean ± std over seeds per variant, the paired difference and p-value against the baseline
 * (the table's cells come from the server's resultsTable), the report's charts, and the trials behind each
 * variant's point, each a link to that run.
 */

function SuiteTable(props: { s: SuiteView }) {
  const t = props.s.table;
  const num = (j: number) => (t.numeric[j] === true ? 'num' : undefined);
  return (
    <table data-testid="suite-table" data-suite={props.s.suite}>
      <caption>{t.title}</caption>
      <thead>
        <tr>{t.header.map((h, j) => <th class={num(j)}>{h}</th>)}</tr>
      </thead>
      <tbody>
        {t.rows.map((r, i) => {
          const v = props.s.summary.variants[i];
          return (
            <tr class={v?.isBaseline === true ? 'baseline' : undefined} data-variant={v?.variant} data-baseline={v?.isBaseline === true ? 'true' : 'false'}>
              {r.map((c, j) => <td class={num(j)}>{c}</td>)}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Points(props: { s: SuiteView }) {
  return (
    <div class="points">
      <h4>The runs behind each point ({props.s.summary.metric})</h4>
      <ul>
        {props.s.points.map((p) => (
          <li data-variant={p.variant}>
            <strong>{p.variant}</strong>:{' '}
            {p.trials.map((t, i) => (
              <>
                {i > 0 && ', '}
                <a href={runHref(t.id)} title={t.error ?? undefined}>
                  seed {t.seed} {t.status === 'ok' ? fmt(t.value) : 'failed'}
                </a>
              </>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Suite(props: { s: SuiteView }) {
  const s = props.s;
  return (
    <article class="suite" data-suite={s.suite}>
      <h3>{s.suite}</h3>
      <p class="muted">
        <code>{s.file}</code> · {s.summary.trials} trials{s.summary.failed > 0 ? `, ${s.summary.failed} failed` : ''} · baseline <strong data-testid="baseline">{s.summary.baseline}</strong>
      </p>
      <SuiteTable s={s} />
      {s.table.note !== undefined && <p class="note">{s.table.note}</p>}
      <Points s={s} />
      <div class="charts">{s.charts.map((c) => <VegaChart spec={c.spec} title={c.title} />)}</div>
    </article>
  );
}

export function ExperimentsView() {
  const loaded = useApi<Data>('/api/experiments');
  return (
    <section data-view="experiments" data-ready={loaded.state !== 'loading' ? 'true' : 'false'}>
      <h2>Experiments</h2>
      <Show loaded={loaded}>
        {(data) => (
          <>
            {data.suites.length === 0 && <p>No results file under the runs directory: run <code>widedeep experiment --suite examples/suites/crosses.yaml</code> (it writes runs/experiments/&lt;suite&gt;.jsonl).</p>}
            {data.suites.map((s) => <Suite s={s} />)}
            <UnreadFiles errors={data.errors} testId="experiment-errors" />
          </>
        )}
      </Show>
    </section>
  );
}
