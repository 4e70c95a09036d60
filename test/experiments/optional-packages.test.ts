import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { WideDeepError } from '../../src/core/errors.js';
import { loadOptional, type OptionalPackage } from '../../src/core/optional-module.js';
import { type ChartLoaders, renderSvg } from '../../src/experiments/render.js';
import { createWebExecutor } from '../../src/runtime/web.js';

// vega, vega-lite and onnxruntime-web are optional peer dependencies (installed here as dev dependencies).
// Their absence is simulated through the loaders each call site takes, without touching node_modules.

const SPEC: TopLevelSpec = {
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

/** What Node's import() rejects with for a package that is not installed (shape checked below on a real one). */
function absent(name: string): () => Promise<never> {
  const err = Object.assign(new Error(`Cannot find package '${name}' imported from ${import.meta.filename}`), { code: 'ERR_MODULE_NOT_FOUND' });
  return () => Promise.reject(err);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (err: unknown) => err);
}

describe('optional packages', () => {
  const pkg: OptionalPackage = { name: 'widedeep-no-such-package', usedBy: 'this test', install: 'npm install widedeep-no-such-package' };

  it('turns a real "package not installed" import error into a WideDeepError naming the install command', async () => {
    const name = pkg.name;
    const err = await caught(loadOptional(pkg, () => import(name)));
    expect(err).toBeInstanceOf(WideDeepError);
    expect((err as WideDeepError).code).toBe('CONFIG');
    expect((err as WideDeepError).details).toEqual({ fix: 'npm install widedeep-no-such-package' });
    expect((err as WideDeepError).message).toContain('the package widedeep-no-such-package is not installed; it is needed for this test');
    expect((err as WideDeepError).cause).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('re-raises a failure that names another package (installed, but missing one of its own imports)', async () => {
    const other = 'widedeep-no-such-dependency';
    const err = await caught(loadOptional({ ...pkg, name: 'vega' }, () => import(other)));
    expect(err).not.toBeInstanceOf(WideDeepError);
    expect((err as Error).message).toContain(other);
  });

  it('the report renders with vega and vega-lite, and names `npm install vega vega-lite` without either', async () => {
    const real: ChartLoaders = { vega: () => import('vega'), vegaLite: () => import('vega-lite') };
    expect(await renderSvg(SPEC, 'a-', real)).toMatch(/^<svg/);
    for (const missing of ['vega', 'vega-lite'] as const) {
      const loaders: ChartLoaders = missing === 'vega' ? { ...real, vega: absent('vega') } : { ...real, vegaLite: absent('vega-lite') };
      const err = await caught(renderSvg(SPEC, 'a-', loaders));
      expect(err).toBeInstanceOf(WideDeepError);
      expect((err as WideDeepError).details.fix).toBe('npm install vega vega-lite');
      expect((err as WideDeepError).message).toContain(`the package ${missing} is not installed`);
      expect((err as WideDeepError).message).toContain('widedeep report --table');
    }
  });

  it('the wasm executor names `npm install onnxruntime-web` when it is absent, and loads it when present', async () => {
    const bytes = new Uint8Array(0);
    const err = await caught(createWebExecutor(absent('onnxruntime-web')).createSession(bytes));
    expect(err).toBeInstanceOf(WideDeepError);
    expect((err as WideDeepError).details.fix).toBe('npm install onnxruntime-web');
    expect((err as WideDeepError).message).toContain('the wasm executor (WIDEDEEP_EXECUTOR=web');
    // With the real package the same empty model gets as far as ONNX Runtime, which refuses it (not a WideDeepError).
    const real = await caught(createWebExecutor().createSession(bytes));
    expect(real).toBeDefined();
    expect(real).not.toBeInstanceOf(WideDeepError);
  });
});
