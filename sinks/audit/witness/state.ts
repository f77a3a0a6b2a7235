import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { WitnessError } from './errors.js';

/**
 * The witness's own durable state: for each log origin, the latest checkpoint it cosigned (size
 * and root). It is the witness's memory of the log's history, so it lives in its own file, which
 * the deployment keeps away from the log's data directory (docs/audit.md): whoever can rewrite
 * it can make the witness forget what it cosigned.
 *
 * Written by replace-on-rename: a temp file, fsync, rename, fsync of the directory. A crash leaves
 * the old state or the new one, never half of either.
 */
const entrySchema = z.strictObject({
  size: z.number().int().nonnegative(),
  rootHash: z.string().regex(/^[0-9a-f]{64}$/),
  updatedAt: z.string(),
});
const stateSchema = z.strictObject({ version: z.literal(1), logs: z.record(z.string(), entrySchema) });

export type WitnessedHead = z.output<typeof entrySchema>;
export type WitnessStateFile = z.output<typeof stateSchema>;

export function readWitnessState(path: string): WitnessStateFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logs: {} };
    throw new WitnessError('WITNESS_STATE_UNREADABLE', `cannot read the witness state ${path}`, { cause: err });
  }
  try {
    return stateSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new WitnessError('WITNESS_STATE_UNREADABLE', `the witness state ${path} is malformed`, { cause: err });
  }
}

export function writeWitnessState(path: string, state: WitnessStateFile): void {
  const tmp = `${path}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (err) {
    throw new WitnessError('WITNESS_STATE_WRITE_FAILED', `cannot write the witness state ${path}`, { cause: err, retriable: true });
  }
}
