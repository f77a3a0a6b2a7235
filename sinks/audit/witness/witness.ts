import type { Signer } from '../../../core/index.js';
import {
  type AsyncNoteSigner,
  cosignatureV1AsyncSigner,
  cosignatureV1Verifier,
  formatNote,
  formatVerifierKey,
  isValidKeyName,
  type NoteVerifier,
  openCheckpoint,
  parseNote,
  verifyConsistency,
} from '../../../core/tlog/index.js';
import { WitnessError } from './errors.js';
import { readWitnessState, writeWitnessState } from './state.js';

/**
 * A C2SP witness (c2sp.org/tlog-witness, the add-checkpoint semantics, in process): it cosigns a
 * checkpoint with a timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature, cosignature/v1)
 * only when
 *  1. the checkpoint verifies under a log key it was given, and
 *  2. it extends the last checkpoint this witness cosigned for that origin (its own durable
 *     state, state.ts): same root at the same size, or a consistency proof from that size.
 * So a history rewritten and re-signed with the log's own key gets no cosignature: the witness
 * remembers the root it vouched for, and no proof leads from it to the rewritten one.
 *
 * Invariant: the state moves to the new checkpoint (durably) before the cosignature is returned,
 * so a cosignature this witness made never outruns what it remembers.
 */
export interface WitnessOptions {
  /** Witness name (the key name of its cosignatures). */
  name: string;
  /** The witness key: Ed25519, and not the key that signs the checkpoints. */
  signer: Signer;
  /** Where its state lives (state.ts). */
  statePath: string;
  /** Log keys it accepts checkpoints from. */
  logVerifiers: readonly NoteVerifier[];
  now?: () => Date;
}

/** Reads the consistency proof from `fromSize` to the checkpoint's size out of the log (untrusted: the witness verifies it). */
export type ProofSource = (fromSize: number, toSize: number) => Promise<Buffer[]>;

export class CheckpointWitness {
  readonly name: string;
  readonly verifier: NoteVerifier;
  /** C2SP verifier key (type 0x04) to hand to auditors: `audit verify --witness-key`. */
  readonly vkey: string;
  readonly #signer: AsyncNoteSigner;
  readonly #opts: WitnessOptions;

  constructor(opts: WitnessOptions) {
    if (opts.signer.algorithm !== 'ed25519') {
      throw new WitnessError('WITNESS_KEY_UNSUITABLE', `a witness key must be Ed25519 (cosignature/v1), not ${opts.signer.algorithm}`);
    }
    if (!isValidKeyName(opts.name)) throw new WitnessError('WITNESS_KEY_UNSUITABLE', 'witness name must be non-empty without spaces or "+"');
    const now = opts.now ?? (() => new Date());
    this.name = opts.name;
    this.#opts = opts;
    this.#signer = cosignatureV1AsyncSigner(
      opts.name,
      opts.signer.publicKey,
      (m) => opts.signer.sign(m),
      () => now().getTime() / 1000,
    );
    this.verifier = cosignatureV1Verifier(opts.name, opts.signer.publicKey);
    this.vkey = formatVerifierKey(opts.name, 'cosignature-v1', opts.signer.publicKey);
  }

  get keyId(): string {
    return this.#opts.signer.keyId;
  }

  /** Cosigns `note` (a signed checkpoint) and returns it with the cosignature line added. Throws WitnessError. */
  async cosign(note: string, proof: ProofSource): Promise<string> {
    let origin: string;
    let size: number;
    let root: Buffer;
    try {
      const origins = [...new Set(this.#opts.logVerifiers.map((v) => v.name))];
      const opened = origins
        .map((o) => {
          try {
            return openCheckpoint(
              note,
              this.#opts.logVerifiers.filter((v) => v.name === o),
              { origin: o },
            ).checkpoint;
          } catch {
            return undefined;
          }
        })
        .find((c) => c !== undefined);
      if (!opened) throw new Error('no log key verifies the checkpoint');
      ({ origin, size, rootHash: root } = opened);
    } catch (err) {
      throw new WitnessError('WITNESS_UNKNOWN_LOG', 'the checkpoint is not signed by a log key this witness knows', { cause: err });
    }
    const state = readWitnessState(this.#opts.statePath);
    const last = state.logs[origin];
    if (last) {
      const lastRoot = Buffer.from(last.rootHash, 'hex');
      if (size < last.size) throw new WitnessError('WITNESS_CONFLICT', `checkpoint of size ${size} is older than the cosigned ${last.size}`);
      if (size === last.size && !root.equals(lastRoot)) throw new WitnessError('WITNESS_CONFLICT', `a different root at the cosigned size ${size}`);
      if (size > last.size && last.size > 0) {
        try {
          verifyConsistency(last.size, size, await proof(last.size, size), lastRoot, root);
        } catch (err) {
          throw new WitnessError('WITNESS_PROOF_INVALID', `checkpoint ${size} is not consistent with the cosigned ${last.size}`, { cause: err });
        }
      }
    }
    // Durable before the cosignature exists (see the invariant above).
    if (!last || last.size !== size) {
      writeWitnessState(this.#opts.statePath, {
        ...state,
        logs: { ...state.logs, [origin]: { size, rootHash: root.toString('hex'), updatedAt: (this.#opts.now?.() ?? new Date()).toISOString() } },
      });
    }
    const parsed = parseNote(note);
    const sig = await this.#signer.sign(Buffer.from(parsed.text, 'utf8'));
    // Replaces an earlier cosignature of this witness on the same note (a retry), never duplicates it.
    const others = parsed.signatures.filter((s) => !(s.name === this.verifier.name && s.keyHash.equals(this.verifier.keyHash)));
    return formatNote({ text: parsed.text, signatures: [...others, { name: this.name, keyHash: this.#signer.keyHash, sig }] });
  }

  async close(): Promise<void> {
    await this.#opts.signer.close?.();
  }
}
