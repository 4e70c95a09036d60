import { describe, expect, it } from 'vitest';
import { WideDeepError } from '../../src/core/errors.js';
import { detectExecutor } from '../../src/runtime/default.js';
import { nodeExecutor } from '../../src/runtime/node.js';
import { webExecutor } from '../../src/runtime/web.js';

// Which executor runs where onnxruntime-node's native binary does not load (no binary for the platform).

/** The error Node's ESM loader gives for a package that is not installed. */
function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/dist/runtime/default.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

const nativeFails = () => Promise.reject(new Error('dlopen failed: onnxruntime_binding.node: wrong ELF class\nstack...'));

describe('detectExecutor', () => {
  it('takes onnxruntime-node when it loads', async () => {
    expect(await detectExecutor({ node: async () => ({}), web: () => Promise.reject(notFound('onnxruntime-web')) })).toBe(nodeExecutor);
  });

  it('falls back to onnxruntime-web when the native binary does not load', async () => {
    expect(await detectExecutor({ node: nativeFails, web: async () => ({}) })).toBe(webExecutor);
  });

  it('says why the native one failed and how to install the wasm one when both are missing', async () => {
    const err = await detectExecutor({ node: nativeFails, web: () => Promise.reject(notFound('onnxruntime-web')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WideDeepError);
    const e = err as WideDeepError;
    expect(e.code).toBe('CONFIG');
    expect(e.message).toMatch(/onnxruntime-node does not load here \(dlopen failed: onnxruntime_binding\.node: wrong ELF class\)/);
    expect(e.message).toMatch(/onnxruntime-web is not installed/);
    expect(e.details.fix).toBe('npm install onnxruntime-web');
  });

  it('re-raises a wasm package that is installed but broken, rather than calling it missing', async () => {
    const broken = Object.assign(new Error("Cannot find package 'long' imported from onnxruntime-web"), { code: 'ERR_MODULE_NOT_FOUND' });
    const err = await detectExecutor({ node: nativeFails, web: () => Promise.reject(broken) }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/onnxruntime-node does not load here/);
    expect((err as Error).message).toMatch(/Cannot find package 'long'/);
  });
});
