import type { ModelView as Data } from '../model-view.js';
import { fmt } from './api.js';
import { Show, Table } from './common.js';
import { useApi } from './use-api.js';

/**
 * The model view (#/model): the bundle's features with their encodings (vocabulary and hash sizes, bucket
 * boundaries, cross components), parameter counts per part, the strongest wide weights by value name, the
 * L2 norms of each embedding table, and the test metrics recorded at training (the facts of `widedeep inspect`).
 */

export type ModelData = Data & { readonly dir: string; readonly version: string };

function Facts(props: { m: ModelData }) {
  const f = props.m.facts;
  const p = f.parameters;
  const total = (p.wide ?? 0) + (p.embeddings ?? 0) + (p.deep ?? 0);
  return (
    <>
      <p>
        <strong>{f.model}</strong> ({f.objective}), deep part <code>{JSON.stringify(f.deep)}</code>, {f.steps} steps, written {f.createdAt}
      </p>
      <p class="muted">
        <code>{props.m.version}</code>
        {props.m.digest !== null && <> · digest <code>{props.m.digest.slice(0, 19)}…</code></>}
      </p>
      <Table testId="parameters" caption="Parameters" header={['wide', 'embeddings', 'deep', 'total']} rows={[[String(p.wide), String(p.embeddings), String(p.deep), String(total)]]} numeric={[true, true, true, true]} />
    </>
  );
}

function Columns(props: { m: ModelData }) {
  const rows = props.m.columns.map((c) => [
    c.name,
    c.type,
    c.source ?? (c.components ?? []).join(' x '),
    c.feeds.join('+') || '-',
    c.encoding,
    c.size === null ? '-' : String(c.size),
    props.m.facts.features.find((f) => f.name === c.name)?.embeddingDim?.toString() ?? '-',
    c.sample.slice(0, 8).join(', ') + (c.sample.length > 8 ? ', …' : ''),
  ]);
  return <Table testId="columns" caption="Features" header={['feature', 'type', 'reads', 'feeds', 'encoding', 'size', 'dim', 'values / boundaries']} rows={rows} numeric={[false, false, false, false, false, true, true, false]} />;
}

export function ModelView() {
  const loaded = useApi<ModelData>('/api/model');
  return (
    <section data-view="model" data-ready={loaded.state !== 'loading' ? 'true' : 'false'}>
      <h2>Model</h2>
      <Show loaded={loaded}>
        {(m) => (
          <>
            <Facts m={m} />
            <Columns m={m} />
            <Table
              testId="wide-weights"
              caption={`Strongest wide weights (bias ${fmt(m.facts.wideBias)})`}
              header={['weight', 'feature', 'value']}
              rows={m.facts.strongestWideWeights.map((w) => [`${w.weight >= 0 ? '+' : ''}${fmt(w.weight)}`, w.feature, w.value])}
              numeric={[true, false, false]}
            />
            <Table
              testId="embedding-norms"
              caption="Embedding tables: L2 norm of each row (row 0, the unseen/padding row, left out)"
              header={['table', 'rows', 'dim', 'mean norm', 'max norm', 'largest rows']}
              rows={m.embeddings.map((e) => [e.table, String(e.rows), String(e.dim), fmt(e.mean), fmt(e.max), e.strongest.map((s) => `${s.value} (${fmt(s.norm, 2)})`).join(', ')])}
              numeric={[false, true, true, true, true, false]}
            />
            {m.facts.test !== null && typeof m.facts.test === 'object' && (
              <Table
                caption="Test metrics at training"
                header={['metric', 'value']}
                rows={Object.entries(m.facts.test as Record<string, unknown>).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, fmt(v)])}
                numeric={[false, true]}
              />
            )}
          </>
        )}
      </Show>
    </section>
  );
}
