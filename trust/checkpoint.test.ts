import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlogError } from '../core/tlog/index.js';
import { describe, expect, it } from 'vitest';
import { verifyCheckpoint } from './checkpoint.js';
import { logKeyForUrl, logKeyFromPem, logKeys } from './log-keys.js';
import { parseTrustedRoot } from './trusted-root.js';
import { realdata } from '../core/testing/index.js';

/** Checkpoint verification with LogKeys, on real signed tree heads (rekor.sigstore.dev, a local Rekor). */
const rd = realdata();
const read = (p: string): string => readFileSync(join(rd.dir, p), 'utf8');
const PROD = 'log-info-rekor.sigstore.dev-treesize-266676745';
const LOCAL = 'log-info-empty-local-rekor';

describe.skipIf(rd.skip)('verifyCheckpoint with log keys', () => {
  const info = (name: string): { signedTreeHead: string; treeSize: number; rootHash: string } => JSON.parse(read(`rekor/api/${name}.json`));
  const pemKey = (name: string) => logKeyFromPem(read(`rekor/api/${name}.pub.pem`));
  const prodRoot = () => parseTrustedRoot(read('sigstore/trusted-roots/prod/trusted_root.json'), 'prod');

  it('verifies rekor.sigstore.dev and a local Rekor with the key each serves', () => {
    for (const name of [PROD, LOCAL]) {
      const i = info(name);
      const v = verifyCheckpoint(i.signedTreeHead, pemKey(name));
      expect(v.checkpoint.size).toBe(i.treeSize);
      expect(v.checkpoint.rootHash.toString('hex')).toBe(i.rootHash);
      expect(v.note).toBe(i.signedTreeHead);
    }
  });

  it('verifies with the keys of the production root, and says which one signed', () => {
    const i = info(PROD);
    expect(verifyCheckpoint(i.signedTreeHead, logKeys(prodRoot())).verifiedBy.baseUrl).toBe('https://rekor.sigstore.dev');
    const key = logKeyForUrl(prodRoot(), 'https://rekor.sigstore.dev', { at: new Date('2025-06-01T00:00:00Z') });
    expect(verifyCheckpoint(i.signedTreeHead, key, { origin: i.signedTreeHead.split('\n')[0] }).checkpoint.size).toBe(i.treeSize);
  });

  it('a root key claims only signature lines named after its host; a config key claims any name', () => {
    const renamed = info(PROD).signedTreeHead.replace('\u2014 rekor.sigstore.dev ', '\u2014 rekor.example.org ');
    expect(() => verifyCheckpoint(renamed, logKeys(prodRoot()))).toThrowWithCode(TlogError, 'NOTE_UNKNOWN_KEY');
    expect(verifyCheckpoint(renamed, pemKey(PROD)).checkpoint.size).toBe(info(PROD).treeSize);
  });

  it('refuses another key, a tampered note and a wrong origin with core/tlog codes', () => {
    const sth = info(PROD).signedTreeHead;
    const key = pemKey(PROD);
    expect(() => verifyCheckpoint(sth, pemKey(LOCAL))).toThrowWithCode(TlogError, 'NOTE_UNKNOWN_KEY');
    expect(() => verifyCheckpoint(sth.replace('266676745', '266676746'), key)).toThrowWithCode(TlogError, 'NOTE_SIGNATURE_INVALID');
    expect(() => verifyCheckpoint(sth, key, { origin: 'other origin' })).toThrowWithCode(TlogError, 'CHECKPOINT_ORIGIN_MISMATCH');
    expect(() => verifyCheckpoint(sth.split('\n\n')[0]!, key)).toThrowWithCode(TlogError, 'NOTE_MALFORMED');
    expect(() => verifyCheckpoint(`${sth.split('\n\n')[0]!}\n\n`, key)).toThrowWithCode(TlogError, 'NOTE_NO_SIGNATURE');
    expect(() => verifyCheckpoint('o\nx\nAAAA\n\n\u2014 o AAAAAAAA\n', key)).toThrowWithCode(TlogError, 'CHECKPOINT_MALFORMED');
  });

  it('says KEY_UNSUPPORTED when no key can verify signed notes, after the syntax checks', () => {
    const rsa = logKeyFromPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }) as string);
    expect(() => verifyCheckpoint(info(PROD).signedTreeHead, rsa)).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
    expect(() => verifyCheckpoint(info(PROD).signedTreeHead, [rsa, pemKey(LOCAL)])).toThrowWithCode(TlogError, 'NOTE_UNKNOWN_KEY');
    expect(() => verifyCheckpoint('o\nx\nAAAA\n\n\u2014 o AAAAAAAA\n', rsa)).toThrowWithCode(TlogError, 'CHECKPOINT_MALFORMED');
  });
});
