import { inspect } from 'node:util';
import { z } from 'zod';
import { markConfigField } from './config-fields.js';

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

/**
 * Config field holding a secret. The daemon's loader resolves `{ env }` / `{ file }` references of
 * exactly these fields (it finds them by this mark, core/config-fields.ts) and hands over a Secret;
 * a plain string (programmatic configs, tests) is wrapped here.
 */
export const secretSchema = markConfigField(
  z.union([z.string().min(1), z.instanceof(Secret)]).transform((v) => (v instanceof Secret ? v : new Secret(v))),
  'secret',
);
