/**
 * A counting semaphore bounding how many records one subscription handles at once. When it is
 * exhausted the subscription stops reading its stream, whose buffer fills and whose fetch loop
 * then waits: that is the automatic pause.
 */
export class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  tryAcquire(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next(); // hand the slot over directly
    else this.free++;
  }
}
