import { createHash } from 'node:crypto';
import { currentDir } from '../artifact/atomic-dir.js';
import { loadBundle } from '../artifact/bundle.js';
import { canonicalJson, type Manifest } from '../artifact/manifest.js';
import { WideDeepError } from '../core/errors.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { Coalesced } from './coalesced.js';

/**
 * The model a server scores with, swappable while it serves (hot reload, issue #15). A request takes a lease
 * on the current version for as long as it scores; `reload()` loads the bundle directory's current version
 * completely beside the one serving, then swaps in one assignment, so a request scores on the old model or
 * on the new, never on a half-loaded one. The old model is released when its last lease comes back.
 */

/** One loaded model version. */
export interface ServedModel {
  readonly model: WideDeepModel;
  readonly spec: FittedSpec;
  /** The bundle manifest's digest ('' for a model given in memory). */
  readonly digest: string;
  /** The version directory it was read from (or 'memory'). */
  readonly source: string;
  /** ISO time. */
  readonly loadedAt: string;
  readonly loadSeconds: number;
}

/** A hold on one model version: the model is not released while a lease is out. */
export interface ModelLease {
  readonly served: ServedModel;
  release(): void;
}

export interface ReloadResult {
  readonly changed: boolean;
  readonly served: ServedModel;
}

export interface ModelSlot {
  current(): ServedModel;
  acquire(): ModelLease;
  /**
   * Reads the bundle directory again (its `current` pointer); swaps atomically when the digest changed. A
   * load that fails keeps the old model and throws the WideDeepError. Concurrent calls share one load: calls
   * made while a load runs share the one load that starts after it, so a reload always sees the directory
   * as it was when reload() was called.
   */
  reload(): Promise<ReloadResult>;
  /** Called after every swap (for logs and metrics). */
  onSwap(listener: (served: ServedModel, previous: ServedModel) => void): void;
  /** Waits for leases to be released, then releases every model. */
  close(): Promise<void>;
}

/** A version with its count of leases; released once retired and no lease is out. */
class Version {
  leases = 0;
  retired = false;
  private releasing: Promise<void> | null = null;
  private drained: () => void = () => undefined;
  readonly done = new Promise<void>((resolve) => {
    this.drained = resolve;
  });

  constructor(
    readonly served: ServedModel,
    private readonly owned: boolean,
    private readonly onReleaseError: (err: unknown) => void,
  ) {}

  lease(): ModelLease {
    this.leases += 1;
    let returned = false;
    return {
      served: this.served,
      release: () => {
        if (returned) return; // a second release of one lease must not free another request's hold
        returned = true;
        this.leases -= 1;
        this.settle();
      },
    };
  }

  retire(): Promise<void> {
    this.retired = true;
    this.settle();
    return this.done;
  }

  private settle(): void {
    if (!this.retired || this.leases > 0 || this.releasing !== null) return;
    this.releasing = (this.owned ? this.served.model.release() : Promise.resolve()).then(this.drained, (err: unknown) => {
      this.onReleaseError(err);
      this.drained();
    });
  }
}

/** The digest a manifest names; a format-1 bundle (none recorded) gets one over its manifest, which covers weights.bin's sha256. */
export function manifestDigest(m: Manifest): string {
  if (m.formatVersion === 2) return m.digest;
  return `sha256:${createHash('sha256').update(canonicalJson(JSON.parse(JSON.stringify(m)))).digest('hex')}`;
}

/** Loads the current version of a bundle directory as a served model. */
async function loadServed(dir: string, threads: number | undefined): Promise<ServedModel> {
  const start = performance.now();
  // The pointer is read once: the version loaded is the one `source` names.
  const source = await currentDir(dir);
  const { model, bundle } = await loadBundle(source, threads !== undefined ? { threads } : {});
  const loadSeconds = (performance.now() - start) / 1000;
  return { model, spec: bundle.spec, digest: manifestDigest(bundle.manifest), source, loadedAt: new Date().toISOString(), loadSeconds };
}

class Slot implements ModelSlot {
  private version: Version;
  /** Swapped-out versions whose leases are still out (each leaves the set once released). */
  private readonly retiring = new Set<Promise<void>>();
  private readonly listeners: ((served: ServedModel, previous: ServedModel) => void)[] = [];
  /** Reloads, concurrent calls coalesced (null: nothing to reload from). */
  private readonly reloads: Coalesced<ReloadResult> | null;
  private closed = false;
  /** The first model whose release failed: close() throws it. */
  private releaseError: unknown = undefined;
  private readonly noteReleaseError = (err: unknown): void => {
    this.releaseError ??= err;
  };

  constructor(
    first: ServedModel,
    private readonly owned: boolean,
    load: (() => Promise<ServedModel>) | null,
  ) {
    this.version = new Version(first, owned, this.noteReleaseError);
    this.reloads = load === null ? null : new Coalesced(() => this.swapFrom(load));
  }

  current(): ServedModel {
    return this.version.served;
  }

  acquire(): ModelLease {
    if (this.closed) throw new WideDeepError('INTERNAL', 'the model slot is closed: no request may start scoring after close()');
    return this.version.lease();
  }

  onSwap(listener: (served: ServedModel, previous: ServedModel) => void): void {
    this.listeners.push(listener);
  }

  reload(): Promise<ReloadResult> {
    if (this.reloads === null) return Promise.reject(new WideDeepError('CONFIG', 'no bundle directory to reload from: this server was given a model in memory', { fix: 'serve a bundle directory (widedeep serve --model DIR, or serveBundle) to reload it' }));
    if (this.closed) return Promise.reject(new WideDeepError('INTERNAL', 'the model slot is closed: nothing to reload'));
    return this.reloads.run();
  }

  private async swapFrom(load: () => Promise<ServedModel>): Promise<ReloadResult> {
    if (this.closed) throw new WideDeepError('INTERNAL', 'the model slot is closed: nothing to reload');
    const served = await load();
    const previous = this.version;
    if (served.digest === previous.served.digest || this.closed) {
      // Unchanged (or the server is closing): the fresh copy goes, the serving one stays.
      await served.model.release();
      return { changed: false, served: previous.served };
    }
    this.version = new Version(served, this.owned, this.noteReleaseError);
    const retired = previous.retire();
    this.retiring.add(retired);
    void retired.then(() => this.retiring.delete(retired));
    for (const listener of this.listeners) listener(served, previous.served);
    return { changed: true, served };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reloads?.idle();
    await Promise.all([...this.retiring, this.version.retire()]);
    if (this.releaseError !== undefined) throw this.releaseError;
  }
}

/**
 * A slot holding one model given in memory (`serveModel`): it never reloads (reload() throws CONFIG), and
 * close() waits for the leases but leaves the model to its caller, who releases it.
 */
export function fixedSlot(model: WideDeepModel, spec: FittedSpec): ModelSlot {
  const served: ServedModel = { model, spec, digest: '', source: 'memory', loadedAt: new Date().toISOString(), loadSeconds: 0 };
  return new Slot(served, false, null);
}

/** Opens a slot on a bundle directory (its `current` version, or the bundle itself for one written before versions). */
export async function openSlot(dir: string, options: { threads?: number } = {}): Promise<ModelSlot> {
  const load = () => loadServed(dir, options.threads);
  return new Slot(await load(), true, load);
}
