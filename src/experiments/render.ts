import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  // No per-mark ARIA descriptions: they make multi-line SVGs several times larger.
  aria: false,
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const, subtitleColor: '#555' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10 },
};

/**
 * Renders a Vega-Lite spec to an SVG document in Node (Vega's headless view, no canvas, no network).
 * `idPrefix` makes the SVG's element ids (clip paths, gradients) unique, so several SVGs can be inlined in
 * one HTML page without one chart's clip path cutting another.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix = ''): Promise<string> {
  const vegaSpec = compile({ config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    if (idPrefix === '') return svg;
    return svg
      .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${idPrefix}${id}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${idPrefix}${id})`)
      .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${idPrefix}${id}"`);
  } finally {
    view.finalize();
  }
}
