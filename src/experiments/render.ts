import type { TopLevelSpec } from 'vega-lite';
import { type ModuleLoader, type OptionalPackage, loadOptional } from '../core/optional-module.js';

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  // No per-mark ARIA descriptions: they make multi-line SVGs several times larger.
  aria: false,
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const, subtitleColor: '#555' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10 },
};

const INSTALL = 'npm install vega vega-lite';
const USED_BY = "the experiment report's charts (widedeep report; `widedeep report --table` prints the tables without them)";
/** vega and vega-lite are optional peer dependencies: only the report needs them (docs/EXPERIMENTS.md). */
export const VEGA: OptionalPackage = { name: 'vega', usedBy: USED_BY, install: INSTALL };
export const VEGA_LITE: OptionalPackage = { name: 'vega-lite', usedBy: USED_BY, install: INSTALL };

/** How renderSvg imports vega and vega-lite (tests pass loaders that fail as an absent package does). */
export interface ChartLoaders {
  readonly vega: ModuleLoader<typeof import('vega')>;
  readonly vegaLite: ModuleLoader<typeof import('vega-lite')>;
}

const IMPORT_CHARTS: ChartLoaders = { vega: () => import('vega'), vegaLite: () => import('vega-lite') };

/**
 * Loads vega and vega-lite now, so that a command which draws charts at its end (`fit --report`) fails before
 * its work, not after it; `usedBy` names that command in the error (whose fix is `npm install vega vega-lite`).
 */
export async function requireChartPackages(usedBy: string, load: ChartLoaders = IMPORT_CHARTS): Promise<void> {
  await loadOptional({ ...VEGA, usedBy }, load.vega);
  await loadOptional({ ...VEGA_LITE, usedBy }, load.vegaLite);
}

/**
 * Renders a Vega-Lite spec to an SVG document in Node (Vega's headless view, no canvas, no network).
 * `idPrefix` makes the SVG's element ids (clip paths, gradients) unique, so several SVGs can be inlined in
 * one HTML page without one chart's clip path cutting another. vega and vega-lite are imported here, on
 * first use, through `load`; when they are not installed the error's fix is `npm install vega vega-lite`.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix = '', load: ChartLoaders = IMPORT_CHARTS): Promise<string> {
  const vega = await loadOptional(VEGA, load.vega);
  const vegaLite = await loadOptional(VEGA_LITE, load.vegaLite);
  const vegaSpec = vegaLite.compile({ config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
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
