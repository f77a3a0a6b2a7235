import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { describeKeyRef, KeyError, type KeyProvider, type KeyRef, keyRefSchema, type Signer } from '../../core/index.js';
import {
  type AsyncNoteSigner,
  ecdsaAsyncNoteSigner,
  ecdsaNoteVerifier,
  ed25519AsyncNoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  formatVerifierKey,
  openCheckpoint,
  parseVerifierKey,
  signNoteAsync,
  type Checkpoint,
  consistencyProof,
  type NoteVerifier,
  treeRoot,
} from '../../core/tlog/index.js';
import { AuditError } from './errors.js';
import { appendKeyEntry, type KeyEntry, parseHistory, readHistoryFile } from './key-history.js';
import type { AuditStore, StoredCheckpoint } from './port.js';
import type { CheckpointWitness } from './witness/witness.js';

/**
 * Signed checkpoints of the audit tree: C2SP tlog-checkpoint text
 *   chainwatch.audit/<instance>\n<size>\n<base64 root>\n
 * in a C2SP signed note, signed with an Ed25519 or ECDSA P-256 key behind the Signer port (by
 * default a key file the daemon generates on first start, `<dataDir>/audit/checkpoint-key.pem`;
 * `audit.key` in the config names another key reference: a file elsewhere, or a key in a PKCS#11
 * token, docs/keys.md). The key name is the origin, so the published verifier key
 * (`<origin>+<keyid>+<base64>`) is all an auditor needs: any note verifier (ours, Go's
 * golang.org/x/mod/sumdb/note) checks it.
 */
export interface CheckpointKey {
  origin: string;
  signer: AsyncNoteSigner;
  verifier: NoteVerifier;
  /** C2SP verifier key to publish / hand to auditors. */
  vkey: string;
  /** The Signer's key id (hex SHA-256 of the SPKI): a witness key must differ. */
  keyId: string;
  /** Witnesses that cosign each checkpoint before it is stored (witness/open.ts). */
  witnesses?: readonly CheckpointWitness[];
  /** Releases the signer (token sessions); idempotent. */
  close(): Promise<void>;
}

export const KEY_FILE = 'checkpoint-key.pem';
export const VKEY_FILE = 'checkpoint-key.vkey';

export function auditOrigin(instance: string): string {
  return `chainwatch.audit/${instance}`;
}

/** The configured checkpoint key, or the default file key in the audit directory. */
export function checkpointKeyRef(config: { key?: KeyRef | undefined }, auditDir: string): KeyRef {
  return config.key ?? { file: join(auditDir, KEY_FILE) };
}

/** A checkpoint key as opened, with what changed about it. */
export interface OpenedCheckpointKey extends CheckpointKey {
  /** The key did not exist and was generated now. */
  created: boolean;
  /** The verifier keys this one follows in the key history, when it is new to the history. */
  replaced?: string[];
  /** For a new key with a predecessor: whether the predecessor signed its history entry. */
  chained?: boolean;
}

/**
 * Opens the checkpoint key through the KeyProvider (creating it when `create` and it does not
 * exist) and keeps the key history in `<auditDir>/checkpoint-key.vkey` (format: key-history.ts):
 * appended when a key is new and never rewritten, with its validity range from `opts.size` and,
 * when the previous key still opens, its predecessor's signature, so checkpoints signed by an
 * earlier (lost, replaced) key still verify with the file and the chain shows which change was a loss.
 */
export async function openCheckpointKey(
  keys: KeyProvider,
  ref: KeyRef,
  origin: string,
  auditDir: string,
  opts: { create: boolean; size?: number; now?: Date } = { create: true },
): Promise<OpenedCheckpointKey> {
  let signer: Signer;
  let created = false;
  try {
    try {
      signer = await keys.open(ref, { create: false });
    } catch (err) {
      if (!(opts.create && err instanceof KeyError && err.code === 'KEY_NOT_FOUND')) throw err;
      signer = await keys.open(ref, { create: true });
      created = true;
    }
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    throw new AuditError('AUDIT_KEY_UNREADABLE', `cannot open the checkpoint key (${describeKeyRef(ref)}): ${err.code}`, { cause: err });
  }
  let ck: CheckpointKey;
  try {
    ck = checkpointKeyFrom(origin, signer);
  } catch (err) {
    await signer.close?.();
    throw err;
  }
  mkdirSync(auditDir, { recursive: true, mode: 0o700 });
  const path = join(auditDir, VKEY_FILE);
  let entries: KeyEntry[];
  try {
    entries = parseHistory(readHistoryFile(path) ?? []);
  } catch (err) {
    throw new AuditError('AUDIT_KEY_UNREADABLE', `the key history ${path} is malformed`, { cause: err });
  }
  const history = entries.map((e) => e.vkey);
  if (history.includes(ck.vkey)) return { ...ck, created };
  // Chain the new key to its predecessor when that key can still sign (a rotation, not a loss).
  const last = entries.at(-1);
  const predecessor = last ? await openPredecessor(keys, last, origin) : undefined;
  await appendKeyEntry(
    path,
    { vkey: ck.vkey, fromSize: opts.size ?? 0, from: (opts.now ?? new Date()).toISOString(), ...(last ? { previous: last.vkey } : {}), ref },
    { successor: ck.signer, predecessor },
  );
  return { ...ck, created, ...(history.length ? { replaced: history } : {}), ...(last ? { chained: predecessor !== undefined } : {}) };
}

/** The previous key's note signer, when its recorded reference still opens to that very key. */
async function openPredecessor(keys: KeyProvider, last: KeyEntry, origin: string): Promise<AsyncNoteSigner | undefined> {
  const parsed = keyRefSchema.safeParse(last.ref);
  if (!parsed.success) return undefined;
  try {
    const prev = checkpointKeyFrom(parseVerifierKey(last.vkey).name || origin, await keys.open(parsed.data, { create: false }));
    return prev.vkey === last.vkey ? prev.signer : undefined;
  } catch {
    return undefined; // lost: the new entry stays unchained, which verify reports
  }
}

/** The verifier keys of a key file or key history (either line format), oldest first. Undefined when unreadable or malformed. */
export function readKeyHistory(path: string): string[] | undefined {
  const lines = readHistoryFile(path);
  if (!lines) return undefined;
  try {
    return parseHistory(lines).map((e) => e.vkey);
  } catch {
    return lines.filter((l) => !l.startsWith('{')); // a bare-key file with a bad line: the caller reports it
  }
}

/**
 * True when a file key sits inside `dir`: whoever can rewrite the trail there can then re-sign it
 * too. A key in a token (pkcs11) is never inside: the private half cannot be read out of it.
 */
export function keyInside(ref: KeyRef, dir: string): boolean {
  if (!('file' in ref)) return false;
  const rel = relative(resolve(dir), resolve(ref.file));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A C2SP note key (signer, verifier, vkey) named `origin` over a Signer. */
export function checkpointKeyFrom(origin: string, signer: Signer): CheckpointKey {
  const key = (type: 'ed25519' | 'ecdsa', asyncSigner: typeof ed25519AsyncNoteSigner, verifier: typeof ed25519NoteVerifier): CheckpointKey => ({
    origin,
    signer: asyncSigner(origin, signer.publicKey, (msg) => signer.sign(msg)),
    verifier: verifier(origin, signer.publicKey),
    vkey: formatVerifierKey(origin, type, signer.publicKey),
    keyId: signer.keyId,
    close: async () => signer.close?.(),
  });
  switch (signer.algorithm) {
    case 'ed25519':
      return key('ed25519', ed25519AsyncNoteSigner, ed25519NoteVerifier);
    case 'ecdsa-p256-sha256':
      // C2SP signed-note type 0x02 (the Rekor v1 form): any verifier of Rekor checkpoints checks it.
      return key('ecdsa', ecdsaAsyncNoteSigner, ecdsaNoteVerifier);
    case 'ecdsa-p384-sha384':
      // Signed notes define no P-384 key type: verifiers could not check these checkpoints.
      throw new AuditError('AUDIT_KEY_UNREADABLE', 'checkpoint keys must be Ed25519 or ECDSA P-256 (signed notes have no P-384 type)', {
        cause: new KeyError('KEY_UNSUPPORTED', `unsupported checkpoint key algorithm ${signer.algorithm}`),
      });
  }
}

/**
 * Signs a checkpoint of the store's current size (or of `atSize`, a size the tree has reached),
 * unless the latest one already covers it. The root is recomputed from stored nodes, which never
 * change for a given size.
 */
export async function signCheckpoint(store: AuditStore, key: CheckpointKey, now: Date, atSize?: number): Promise<StoredCheckpoint | undefined> {
  const size = Math.min(atSize ?? Infinity, await store.size());
  const list = await store.listCheckpoints();
  const last = list[list.length - 1];
  if (size === 0 || (last && last.size >= size)) return undefined;
  const root = await treeRoot(size, (ids) => store.nodes(ids));
  const text = formatCheckpoint({ origin: key.origin, size, rootHash: root, extensions: [] });
  let note = await signNoteAsync(text, [key.signer]);
  // A configured witness cosigns before the checkpoint is stored: a refusal (or an unreachable
  // witness key) stores nothing, and the next trigger tries again.
  for (const w of key.witnesses ?? []) note = await w.cosign(note, (from, to) => consistencyProof(from, to, (ids) => store.nodes(ids)));
  const cp: StoredCheckpoint = { size, rootHash: root.toString('hex'), note, createdAt: now.toISOString() };
  await store.putCheckpoint(cp);
  return cp;
}

/**
 * Verifies a checkpoint's signature (by any of the keys: a key history) and origin; returns the
 * parsed body. Throws TlogError.
 */
export function openAuditCheckpoint(note: string, verifier: NoteVerifier | readonly NoteVerifier[]): Checkpoint {
  const all = Array.isArray(verifier) ? (verifier as readonly NoteVerifier[]) : [verifier as NoteVerifier];
  // Each key signs under its own name, the origin (an `instance` renamed with a new key): the
  // checkpoint must carry the origin of a key that signed it.
  let last: Error | undefined;
  for (const origin of new Set(all.map((v) => v.name))) {
    try {
      return openCheckpoint(
        note,
        all.filter((v) => v.name === origin),
        { origin },
      ).checkpoint;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
  }
  throw last ?? new AuditError('AUDIT_KEY_UNREADABLE', 'no verifier key given');
}
