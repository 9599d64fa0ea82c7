/**
 * Turns for long synchronous work, one per turn of the event loop, in the order they were asked for. An order
 * scope over a 500-org tree is about a millisecond of Wasm that cannot be split; many of them read in one poll of
 * the event loop would otherwise run back to back, with every check that arrived meanwhile queued behind all of
 * them. Between two turns the loop polls for I/O again (each turn is its own setImmediate, and an immediate queued
 * by an immediate runs in the next iteration), so a check waits for at most the one long evaluation in progress.
 */
export class TurnQueue {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  /** Resolves when it is the caller's turn; the caller's synchronous work after the await runs in that turn alone. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Callers still waiting for their turn. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled || this.length === 0) return;
    this.scheduled = true;
    setImmediate(this.next);
  }

  private readonly next = (): void => {
    this.scheduled = false;
    const resolve = this.waiting[this.head++];
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
    // The awaiting caller resumes in this immediate's microtasks, before the next immediate runs.
    resolve?.();
    this.schedule();
  };
}
