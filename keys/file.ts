import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyError, keyObjectSigner, type OpenKeyOptions, type Signer } from '../core/index.js';

/**
 * File-backed keys (`{ file: PATH }`): an Ed25519 private key in PKCS#8 PEM, mode 0600.
 *
 * - Created on first use when the caller allows: in a directory made 0700, exclusively (two
 *   processes starting at once cannot both write one: the loser reads the winner's), then chmod
 *   to exactly 0600 (a umask can only strip the bits asked for, never add, but make it exact).
 * - Refused when readable or writable by group or others: anyone who can read it can forge what
 *   it signs. The operator fixes it with chmod 600; it is never silently tightened.
 * The same file format and modes as the audit checkpoint key had before this adapter existed,
 * so existing keys keep working.
 */
export function openFileKey(path: string, opts: OpenKeyOptions = {}): Signer {
  if (opts.create) createIfAbsent(path);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeyError('KEY_NOT_FOUND', `no key file ${path}`, { cause: err });
    throw new KeyError('KEY_UNREADABLE', `cannot read the key file ${path}`, { cause: err });
  }
  if ((mode & 0o077) !== 0) throw new KeyError('KEY_INSECURE', `key file ${path} is accessible by group/others; chmod 600 it`);
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (err) {
    throw new KeyError('KEY_UNREADABLE', `cannot read the key file ${path}`, { cause: err });
  }
  const signer = keyObjectSigner(key);
  // Key files are Ed25519 only: ECDSA keys belong in a token (keys/pkcs11), where they are common.
  if (signer.algorithm !== 'ed25519') throw new KeyError('KEY_UNSUPPORTED', `key file ${path} is not an Ed25519 key`);
  return signer;
}

function createIfAbsent(path: string): void {
  const failed = (err: unknown): KeyError => new KeyError('KEY_CREATE_FAILED', `cannot create the key file ${path}`, { cause: err });
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw failed(err);
  }
  try {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // first use was earlier (or by another process)
    throw failed(err);
  }
}
