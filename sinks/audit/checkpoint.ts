import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  formatVerifierKey,
  openCheckpoint,
  signNote,
  type Checkpoint,
  type NoteSigner,
  type NoteVerifier,
} from '../../core/tlog/index.js';
import { treeRoot } from '../../core/tlog/tree.js';
import { AuditError } from './errors.js';
import type { AuditStore, StoredCheckpoint } from './port.js';

/**
 * Signed checkpoints of the audit tree: C2SP tlog-checkpoint text
 *   chainwatch.audit/<instance>\n<size>\n<base64 root>\n
 * in a C2SP signed note, signed with an Ed25519 key the daemon generates on first start.
 * The key name is the origin, so the published verifier key (`<origin>+<keyid>+<base64>`) is all
 * an auditor needs: any note verifier (ours, Go's golang.org/x/mod/sumdb/note) checks it.
 */
export interface CheckpointKey {
  origin: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** C2SP verifier key to publish / hand to auditors. */
  vkey: string;
}

export const KEY_FILE = 'checkpoint-key.pem';
export const VKEY_FILE = 'checkpoint-key.vkey';

export function auditOrigin(instance: string): string {
  return `chainwatch.audit/${instance}`;
}

/**
 * Loads the signing key from `dir`, creating it on first start: PKCS#8 PEM with mode 0600
 * (created exclusively, so two processes starting at once cannot both write one), and the
 * public verifier key beside it. A key file readable by others is refused: anyone who can read
 * it can forge checkpoints.
 */
export function loadOrCreateCheckpointKey(dir: string, origin: string): CheckpointKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, KEY_FILE);
  let key: KeyObject;
  try {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600); // umask may have stripped bits we asked for, never added: make it exact
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new AuditError('AUDIT_KEY_UNREADABLE', 'cannot create the checkpoint key', { cause: err });
  }
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new AuditError('AUDIT_KEY_UNREADABLE', `checkpoint key ${path} is accessible by group/others; chmod 600 it`);
    }
    key = createPrivateKey(readFileSync(path));
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError('AUDIT_KEY_UNREADABLE', `cannot read the checkpoint key ${path}`, { cause: err });
  }
  const ck = checkpointKeyFrom(origin, key);
  writeFileSync(join(dir, VKEY_FILE), `${ck.vkey}\n`, { mode: 0o644 });
  return ck;
}

export function checkpointKeyFrom(origin: string, privateKey: KeyObject): CheckpointKey {
  const signer = ed25519NoteSigner(origin, privateKey);
  const verifier = ed25519NoteVerifier(origin, createPublicKey(privateKey));
  return { origin, signer, verifier, vkey: formatVerifierKey(origin, 'ed25519', privateKey) };
}

/**
 * Signs a checkpoint of the store's current size, unless the latest one already covers it.
 * The root is recomputed from stored nodes, which never change for a given size.
 */
export async function signCheckpoint(store: AuditStore, key: CheckpointKey, now: Date): Promise<StoredCheckpoint | undefined> {
  const size = await store.size();
  const list = await store.listCheckpoints();
  const last = list[list.length - 1];
  if (size === 0 || (last && last.size >= size)) return undefined;
  const root = await treeRoot(size, (ids) => store.nodes(ids));
  const text = formatCheckpoint({ origin: key.origin, size, rootHash: root, extensions: [] });
  const cp: StoredCheckpoint = { size, rootHash: root.toString('hex'), note: signNote(text, [key.signer]), createdAt: now.toISOString() };
  await store.putCheckpoint(cp);
  return cp;
}

/** Verifies a stored checkpoint's signature and origin; returns the parsed body. Throws TlogError. */
export function openAuditCheckpoint(note: string, verifier: NoteVerifier): Checkpoint {
  return openCheckpoint(note, [verifier], { origin: verifier.name }).checkpoint;
}
