/** A counting semaphore: at most `n` holders at once, FIFO waiters. */
export class Limiter {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(n: number) {
    this.free = n;
  }

  /** Wait for a slot. */
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiters.push(r));
  }

  /** Give a slot back. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }

  /** Run `fn` holding a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
