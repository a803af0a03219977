/**
 * A wake-up point for a background loop: `wait(ms)` resolves when `wake()` is called or after
 * `ms`, whichever comes first. A wake that arrives while the loop is busy is remembered, so
 * no wake-up is lost. Its timer is always cleared.
 */
export class Wakeup {
  private pending = false;
  private release: (() => void) | null = null;

  wake(): void {
    if (this.release) this.release();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.release = null;
        resolve();
      };
      this.release = done;
    });
  }
}

/** One timer for "wake me at the earliest of these times"; later requests never delay it. */
export class EarliestTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private at = Number.POSITIVE_INFINITY;
  private disposed = false;

  constructor(private readonly onFire: () => void) {}

  schedule(at: number): void {
    if (this.disposed || at >= this.at) return;
    this.clear();
    this.at = at;
    this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(
      () => {
        // A timer may fire up to a millisecond before Date.now() reaches `at`: a claim then
        // finds nothing due yet and the loop would sleep until the backstop poll.
        if (Date.now() < this.at) return this.arm();
        this.timer = null;
        this.at = Number.POSITIVE_INFINITY;
        this.onFire();
      },
      Math.max(0, this.at - Date.now()),
    );
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = Number.POSITIVE_INFINITY;
  }

  /** Clears the timer for good: a late schedule (a store call that returns after a shutdown) is ignored. */
  dispose(): void {
    this.disposed = true;
    this.clear();
  }
}
