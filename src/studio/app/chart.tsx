import { useEffect, useRef, useState } from 'preact/hooks';
import embed from 'vega-embed';
import type { TopLevelSpec } from 'vega-lite';

/**
 * One Vega-Lite chart, drawn by vega-embed as SVG from a spec the server built (or the what-if waterfall).
 * No action menu (it links to the online Vega editor): the studio loads nothing from the network. The figure
 * says when it has drawn (`data-drawn`), which the browser tests wait for.
 */
export function VegaChart(props: { spec: TopLevelSpec; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    let result: { finalize(): void } | null = null;
    let live = true;
    setDrawn(false);
    embed(el, props.spec, { actions: false, renderer: 'svg' }).then(
      (r) => {
        if (!live) return r.finalize();
        result = r;
        setDrawn(true);
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
      result?.finalize();
    };
  }, [props.spec]);
  return (
    <figure class="chart" aria-label={props.title} data-drawn={drawn ? 'true' : 'false'}>
      <div ref={box} />
      {error !== null && <p class="error">chart failed: {error}</p>}
    </figure>
  );
}
