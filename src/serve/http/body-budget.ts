/**
 * A bound on the bytes of large request bodies the server holds at once (app.ts holdBodies: bodies over 1/16
 * of the body limit; default capacity one maximal body): a request takes its Content-Length from the budget
 * before its body is read, and gives it back when it is answered. While the budget is spent, later bodies
 * wait unread in the kernel's socket buffers (TCP pushes back on their senders) instead of in the heap.
 *
 * Why: thirty concurrent 16 MB bodies used to be buffered, parsed and scored all at once: RSS 1.07 GB at the
 * peak, and ~590 MB for good afterwards. What stays after a burst is mostly garbage V8 has not collected yet
 * (it collects when the program allocates, not when it is idle) and memory the C allocator keeps, and both
 * grow with the peak. Measured on 30 x 16 MB bodies, RSS over the baseline once the burst is answered: 4
 * bodies at once +30..+180 MB, one at a time -30..+80 MB (the node:http server: +190..+640 MB). The model
 * scores one batch at a time anyway, so holding one large body at a time costs no throughput. A request
 * waiting for budget still counts against the request timeout.
 */
export class BodyBudget {
  private free: number;
  private readonly waiting: { readonly bytes: number; readonly grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.free = capacity;
  }

  /** Resolves with a release function once `bytes` (at most the capacity) are available, first come first served. */
  take(bytes: number): Promise<() => void> {
    const want = Math.min(bytes, this.capacity);
    return new Promise((resolve) => {
      const grant = (): void => {
        this.free -= want;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.free += want;
          this.next();
        });
      };
      if (this.waiting.length === 0 && this.free >= want) grant();
      else this.waiting.push({ bytes: want, grant });
    });
  }

  private next(): void {
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.bytes) this.waiting.shift()!.grant();
  }
}
