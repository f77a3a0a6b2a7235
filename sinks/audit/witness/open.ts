import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeKeyRef, KeyError, type KeyProvider, type KeyRef } from '../../../core/index.js';
import type { CheckpointKey } from '../checkpoint.js';
import { AuditError } from '../errors.js';
import { WitnessError } from './errors.js';
import { CheckpointWitness } from './witness.js';

export interface WitnessSection {
  name?: string | undefined;
  key: KeyRef;
  state: string;
}

export const witnessName = (instance: string, cfg: Pick<WitnessSection, 'name'>): string => cfg.name ?? `chainwatch.witness/${instance}`;
/** Where the witness publishes its verifier key: beside its state. */
export const witnessVkeyPath = (cfg: Pick<WitnessSection, 'state'>): string => `${cfg.state.replace(/\.json$/, '')}.vkey`;

/**
 * Opens the configured witness for a checkpoint key and attaches it: the returned key cosigns
 * every checkpoint it signs (signCheckpoint) and closes the witness with itself. The witness
 * accepts checkpoints from this checkpoint key only, and refuses to be that same key.
 */
export async function attachWitness(
  key: CheckpointKey,
  cfg: WitnessSection | undefined,
  instance: string,
  keys: KeyProvider,
  opts: { create: boolean; now?: () => Date },
): Promise<CheckpointKey> {
  if (!cfg) return key;
  let witness: CheckpointWitness;
  try {
    const signer = await keys.open(cfg.key, { create: opts.create });
    try {
      if (signer.keyId === key.keyId)
        throw new WitnessError('WITNESS_KEY_UNSUITABLE', 'the witness key is the checkpoint key: a witness must hold a key of its own');
      witness = new CheckpointWitness({
        name: witnessName(instance, cfg),
        signer,
        statePath: cfg.state,
        logVerifiers: [key.verifier],
        ...(opts.now ? { now: opts.now } : {}),
      });
    } catch (err) {
      await signer.close?.();
      throw err;
    }
  } catch (err) {
    if (!(err instanceof KeyError) && !(err instanceof WitnessError)) throw err;
    throw new AuditError('AUDIT_KEY_UNREADABLE', `cannot open the witness key (${describeKeyRef(cfg.key)}): ${err.code}`, { cause: err });
  }
  try {
    mkdirSync(dirname(cfg.state), { recursive: true, mode: 0o700 });
    writeFileSync(witnessVkeyPath(cfg), `${witness.vkey}\n`, { mode: 0o644 });
  } catch {
    // Publishing the verifier key is a convenience: the cosignatures do not depend on it.
  }
  return {
    ...key,
    witnesses: [...(key.witnesses ?? []), witness],
    close: async () => {
      await key.close();
      await witness.close();
    },
  };
}
