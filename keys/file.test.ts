import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../core/index.js';
import { createKeyProvider, openFileKey } from './index.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'cw-keys-'));

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(KeyError);
    return (err as KeyError).code;
  }
  return expect.unreachable('expected a KeyError');
}

describe('file-backed keys', () => {
  it('creates an Ed25519 PKCS#8 PEM key on first use, 0600 in a 0700 directory, and reopens the same key', async () => {
    const path = join(dir(), 'audit', 'checkpoint-key.pem');
    const keys = createKeyProvider();
    const a = await keys.open({ file: path }, { create: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(a.algorithm).toBe('ed25519');
    expect(a.keyId).toBe(
      createHash('sha256')
        .update(a.publicKey.export({ format: 'der', type: 'spki' }))
        .digest('hex'),
    );
    const b = await keys.open({ file: path }, { create: true });
    expect(b.keyId).toBe(a.keyId);
    const msg = Buffer.from('chainwatch.audit/x\n1\nroot\n');
    expect(verify(null, msg, a.publicKey, await b.sign(msg))).toBe(true);
  });

  it('opens a key the previous code wrote (same format and mode) without changing it', async () => {
    const path = join(dir(), 'checkpoint-key.pem');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(path, pem, { flag: 'wx', mode: 0o600 });
    const s = openFileKey(path, { create: true });
    expect(s.publicKey.export({ format: 'der', type: 'spki' })).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
    expect(readFileSync(path, 'utf8')).toBe(pem);
  });

  it('never overwrites an existing key (exclusive create)', async () => {
    const path = join(dir(), 'k.pem');
    const first = openFileKey(path, { create: true });
    const again = openFileKey(path, { create: true });
    expect(again.keyId).toBe(first.keyId);
  });

  it('without create, a missing key is KEY_NOT_FOUND and nothing is written', async () => {
    const path = join(dir(), 'missing.pem');
    expect(await codeOf(createKeyProvider().open({ file: path }))).toBe('KEY_NOT_FOUND');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a key readable or writable by group or others (KEY_INSECURE) and leaves its mode alone', async () => {
    for (const mode of [0o640, 0o604, 0o620, 0o644]) {
      const path = join(dir(), 'k.pem');
      openFileKey(path, { create: true });
      chmodSync(path, mode);
      expect(await codeOf(() => openFileKey(path, { create: true })), mode.toString(8)).toBe('KEY_INSECURE');
      expect(statSync(path).mode & 0o777).toBe(mode);
    }
  });

  it('refuses what is not an Ed25519 private key', async () => {
    const d = dir();
    const p256 = join(d, 'p256.pem');
    writeFileSync(p256, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(await codeOf(() => openFileKey(p256))).toBe('KEY_UNSUPPORTED');
    const junk = join(d, 'junk.pem');
    writeFileSync(junk, 'not a key', { mode: 0o600 });
    expect(await codeOf(() => openFileKey(junk))).toBe('KEY_UNREADABLE');
  });

  it('reports a key it cannot create as KEY_CREATE_FAILED', async () => {
    const blocker = join(dir(), 'file');
    writeFileSync(blocker, 'x');
    expect(await codeOf(() => openFileKey(join(blocker, 'k.pem'), { create: true }))).toBe('KEY_CREATE_FAILED');
  });

  it('never puts key material in errors', async () => {
    const path = join(dir(), 'k.pem');
    openFileKey(path, { create: true });
    const pem = readFileSync(path, 'utf8');
    chmodSync(path, 0o644);
    try {
      openFileKey(path);
      expect.unreachable('an insecure key must be refused');
    } catch (err) {
      const body = pem.split('\n')[1]!;
      expect(String((err as Error).message)).not.toContain(body);
      expect(JSON.stringify(err)).not.toContain(body);
    }
  });
});
