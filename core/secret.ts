import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * A resolved secret (webhook URL with a token, HMAC key, SMTP password, routing key). It prints
 * as "[redacted]" in logs, JSON, errors and util.inspect; only reveal() gives the value, at the
 * point of use on the wire.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/** Config field holding a secret the daemon has already resolved (env/file references). */
export const secretSchema = z.union([z.string().min(1), z.instanceof(Secret)]).transform((v) => (v instanceof Secret ? v : new Secret(v)));
