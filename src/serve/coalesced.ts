/**
 * A task whose concurrent calls share runs (reloading a model, reloading every worker of a cluster): a call
 * while none runs starts one; calls while one runs share the one run queued behind it. So every call gets a
 * run that started after it was made (a reload sees the bundle directory as it was when asked, never an
 * earlier read), and any number of concurrent calls cost at most two runs.
 */
export class Coalesced<T> {
  private running: Promise<T> | null = null;
  private pending: Promise<T> | null = null;

  constructor(private readonly task: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.pending !== null) return this.pending;
    if (this.running === null) return this.start();
    const after = this.running.then(
      () => undefined,
      () => undefined,
    );
    this.pending = after.then(() => this.start());
    return this.pending;
  }

  /** Resolves once no run is under way or queued (whatever their outcome). */
  async idle(): Promise<void> {
    while (this.pending !== null || this.running !== null) await Promise.allSettled([this.pending, this.running]);
  }

  private start(): Promise<T> {
    this.pending = null;
    const run = this.task();
    this.running = run;
    // The outcome goes to the callers through `run`; these only clear the bookkeeping.
    const clear = (): void => {
      if (this.running === run) this.running = null;
    };
    run.then(clear, clear);
    return run;
  }
}
