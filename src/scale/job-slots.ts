import type { ChildProcess } from 'node:child_process';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { WideDeepError } from '../core/errors.js';
import type { JobContext } from './job-runners.js';
import { runJobInChild } from './job-process.js';
import type { JobKind } from './queues.js';

/** Error codes that would come back on any machine: the job fails at once instead of using its attempts. */
const DETERMINISTIC = new Set(['CONFIG', 'DATA', 'SHAPE', 'GRAPH', 'BATCH']);

/** A counting semaphore: the worker's job slots, shared by both queues. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async take(): Promise<void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * The job slots of one `widedeep worker`: the BullMQ processor of each queue, sharing `concurrency` slots,
 * each job in its own child process. `stop()` kills the running children; their processors then give the jobs
 * back to the queue (moveToWait + WaitingError: not an attempt) instead of failing them.
 */
export class JobSlots {
  readonly counts = { completed: 0, failed: 0, gaveBack: 0 };
  private readonly slots: Slots;
  private readonly children = new Set<ChildProcess>();
  private stopping = false;
  private active = 0;

  constructor(
    concurrency: number,
    private readonly ctx: JobContext,
    private readonly log: (line: string) => void,
  ) {
    this.slots = new Slots(concurrency);
  }

  /** The processor of the `kind` queue. */
  processor(kind: JobKind): (job: Job, token?: string) => Promise<unknown> {
    return async (job, token) => {
      this.active++;
      try {
        await this.slots.take();
        try {
          return await this.run(kind, job, token);
        } finally {
          this.slots.give();
        }
      } finally {
        this.active--;
      }
    };
  }

  stop(): void {
    this.stopping = true;
    for (const c of this.children) c.kill('SIGKILL');
  }

  /** Resolves once no processor is running (after stop: every job given back). */
  async settled(): Promise<void> {
    while (this.active > 0) await new Promise((r) => setTimeout(r, 50));
  }

  private async run(kind: JobKind, job: Job, token: string | undefined): Promise<unknown> {
    const t0 = performance.now();
    let mine: ChildProcess | null = null;
    try {
      if (this.stopping) throw new WaitingError();
      this.log(`started ${kind} ${job.id} (attempt ${job.attemptsStarted})`);
      const result = await runJobInChild({ kind, data: job.data, ctx: this.ctx }, (c) => {
        if (c) this.children.add((mine = c));
        else if (mine) this.children.delete(mine);
      });
      this.counts.completed++;
      this.log(`done ${kind} ${job.id} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    } catch (err) {
      if (this.stopping) {
        await job.moveToWait(token);
        this.counts.gaveBack++;
        this.log(`gave back ${kind} ${job.id}`);
        throw new WaitingError();
      }
      this.counts.failed++;
      const message = err instanceof Error ? err.message : String(err);
      this.log(`failed ${kind} ${job.id}: ${message}`);
      throw err instanceof WideDeepError && DETERMINISTIC.has(err.code) ? new UnrecoverableError(message) : err;
    }
  }
}
