import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompactRange, leafHash, parseNote, TlogError, verifyLeavesAgainstRoot } from '../../core/tlog/index.js';
import { realdata } from '../../core/testing/index.js';
import { CtError } from './errors.js';
import { parseRfc6962Entry } from './leaf.js';
import { loadLogKey, treeHeadSignatureInput, verifySth } from './log-key.js';
import { parseLogList, pickLogs } from './loglist.js';
import { ctAnomalyKind } from './anomaly-kind.js';
import { rfc6962NoteVerifier } from './static-note.js';

/** Real CT structures from certificate-transparency-go and cosign, read in place from realdata/ (MANIFEST.md ct/). */
const rd = realdata();
const file = (p: string): Buffer => readFileSync(join(rd.dir, p));
const json = <T>(p: string): T => JSON.parse(file(p).toString('utf8')) as T;
const b = (s: string): Buffer => Buffer.from(s, 'base64');

describe.skipIf(rd.skip)('CT realdata', () => {
  it('refuses garbage and non-SPKI log keys at load with precise codes, accepts real P-256 and RSA log keys', () => {
    expect(() => loadLogKey(file('ct/keys/garbage-there-are-limits').toString('utf8'))).toThrowWithCode(CtError, 'CT_KEY_MALFORMED');
    expect(() => loadLogKey(file('ct/keys/garbage-there-are-limits'))).toThrowWithCode(CtError, 'CT_KEY_MALFORMED');
    expect(() => loadLogKey(file('ct/keys/rsa-pkcs1.pub.pem').toString('utf8'))).toThrowWithCode(CtError, 'CT_KEY_MALFORMED');
    expect(loadLogKey(file('ct/keys/letsencrypt-testflume-2021.der')).algorithm).toBe('ecdsa-p256');
    expect(loadLogKey(file('ct/keys/google-ct-log-rsa.pub.pem').toString('utf8')).algorithm).toBe('rsa');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => loadLogKey(publicKey.export({ format: 'der', type: 'spki' }))).toThrowWithCode(CtError, 'CT_KEY_UNSUPPORTED');
  });

  it('log list v3: picks logs by state, log IDs match their keys', () => {
    const list = parseLogList(json('ct/loglist/loglist3.json'));
    const usable = pickLogs(list, ['usable']);
    expect(usable.map((l) => l.url)).toEqual(expect.arrayContaining(['https://ct.googleapis.com/icarus/', 'https://ct.googleapis.com/rocketeer/']));
    expect(usable.every((l) => l.state === 'usable' && l.api === 'rfc6962')).toBe(true);
    expect(pickLogs(list, ['readonly']).map((l) => l.url)).toEqual(['https://ct.googleapis.com/aviator/']);
    expect(() => parseLogList({ operators: 'x' })).toThrowWithCode(CtError, 'CT_LOGLIST_INVALID');
  });

  it('the scanner four-entry STH carries no usable signature: refused as infrastructure, not security', () => {
    const sth = json<{ tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string }>('ct/api/scanner-four-entry-sth.json');
    const key = loadLogKey(file('ct/ct-go-testdata/ct-server-key-public.pem').toString('utf8'));
    const head = { treeSize: sth.tree_size, timestamp: sth.timestamp, rootHash: b(sth.sha256_root_hash), signature: b(sth.tree_head_signature) };
    let err: unknown;
    try {
      verifySth(key, head);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CtError);
    expect((err as CtError).code).toBe('CT_STH_SIGNATURE_MALFORMED');
    expect(ctAnomalyKind(err)).toBe('malformed_response');
  });

  it('a proper signature the log key did not make is a security anomaly; its own signature verifies', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = loadLogKey(publicKey.export({ format: 'der', type: 'spki' }));
    const root = Buffer.alloc(32, 7);
    const sig = sign('sha256', treeHeadSignatureInput(1000, 5, root), privateKey);
    const ds = Buffer.concat([Buffer.from([4, 3, sig.length >> 8, sig.length & 0xff]), sig]);
    verifySth(key, { treeSize: 5, timestamp: 1000, rootHash: root, signature: ds });
    expect(() => verifySth(key, { treeSize: 6, timestamp: 1000, rootHash: root, signature: ds })).toThrowWithCode(CtError, 'CT_STH_SIGNATURE_INVALID');
    expect(ctAnomalyKind(new CtError('CT_STH_SIGNATURE_INVALID', 'x'))).toBe('signature_invalid');
    // The same signature as a static-ct-api RFC6962NoteSignature over a checkpoint.
    const text = `example.com/log\n5\n${root.toString('base64')}\n`;
    const v = rfc6962NoteVerifier('example.com/log', key);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(1000n);
    expect(v.verify(Buffer.from(text), Buffer.concat([ts, ds]))).toBe(true);
    expect(v.verify(Buffer.from(text.replace('\n5\n', '\n6\n')), Buffer.concat([ts, ds]))).toBe(false);
    expect(parseNote(`${text}\n— example.com/log ${Buffer.concat([v.keyHash, ts, ds]).toString('base64')}\n`).signatures).toHaveLength(1);
  });

  it('parses a real x509 entry and a real precert entry with their chains', () => {
    const { entries } = json<{ entries: { leaf_input: string; extra_data: string }[] }>('ct/api/get-entries-cert-and-precert.json');
    const parsed = entries.map((e) => parseRfc6962Entry(b(e.leaf_input), b(e.extra_data)));
    const types = parsed.map((p) => p.leaf.entryType).sort();
    expect(types).toEqual(['precert', 'x509']);
    for (const p of parsed) {
      expect(p.certDer[0]).toBe(0x30); // DER SEQUENCE
      expect(p.chain.length).toBeGreaterThan(0);
      expect(p.leaf.timestamp).toBeGreaterThan(Date.UTC(2013, 0));
    }
    const pre = parsed.find((p) => p.leaf.entryType === 'precert')!;
    expect(pre.leaf.issuerKeyHash).toHaveLength(32);
    expect(pre.leaf.signedBytes.equals(pre.certDer)).toBe(false); // TBS as logged vs the precertificate
    // Truncated leaf or trailing bytes: an error, never a short value.
    const e0 = entries[0]!;
    expect(() => parseRfc6962Entry(b(e0.leaf_input).subarray(0, 40), b(e0.extra_data))).toThrowWithCode(CtError, 'CT_ENTRY_MALFORMED');
    expect(() => parseRfc6962Entry(Buffer.concat([b(e0.leaf_input), Buffer.from([0])]), b(e0.extra_data))).toThrowWithCode(CtError, 'CT_ENTRY_MALFORMED');
  });

  // Upstream pairs these four real entries with an STH whose fields are "syntactically correct, but
  // invalid": its root is not theirs, so a full audit must refuse them as complete.
  it('the four scanner entries do not hash to the four-entry STH root: the audit refuses them', () => {
    const { entries } = json<{ entries: { leaf_input: string; extra_data: string }[] }>('ct/api/scanner-get-entries-4.json');
    const sth = json<{ sha256_root_hash: string }>('ct/api/scanner-four-entry-sth.json');
    const hashes = entries.map((e) => leafHash(b(e.leaf_input)));
    expect(() => verifyLeavesAgainstRoot(0, hashes, 4, b(sth.sha256_root_hash), { kind: 'prior', range: CompactRange.empty(0) })).toThrowWithCode(
      TlogError,
      'TLOG_ROOT_MISMATCH',
    );
    expect(ctAnomalyKind(new TlogError('TLOG_ROOT_MISMATCH', 'x'))).toBe('inclusion_failed');
    for (const e of entries) expect(parseRfc6962Entry(b(e.leaf_input), b(e.extra_data)).leaf.entryType).toBe('x509');
  });
});
