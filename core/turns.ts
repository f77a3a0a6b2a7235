/**
 * Calls that take turns per key: a call runs once every earlier call with the same key settled
 * (fulfilled or rejected), calls with other keys run meanwhile. For work that a bus hands over
 * concurrently (different bus keys) but that must not overlap for one subject: a check that read
 * the world before a newer one must not write after it.
 */
export class KeyedTurns {
  readonly #last = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const turn = (this.#last.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.#last.set(key, turn);
    const forget = (): void => {
      if (this.#last.get(key) === turn) this.#last.delete(key);
    };
    turn.then(forget, forget);
    return turn;
  }

  /** Keys with a call in progress or waiting (for tests and metrics). */
  get size(): number {
    return this.#last.size;
  }
}
