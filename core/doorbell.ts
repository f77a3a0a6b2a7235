/**
 * The pause of a polling loop: wait() sleeps up to `ms`, or until ring() says new work arrived.
 * A ring while nobody waits is remembered, so work that arrives between "found nothing" and
 * "start waiting" is not left for a whole poll interval.
 */
export class Doorbell {
  private waiter: (() => void) | undefined;
  private rung = false;

  wait(ms: number): Promise<void> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }

  ring(): void {
    if (this.waiter) this.waiter();
    else this.rung = true;
  }
}
