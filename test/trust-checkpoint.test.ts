import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TlogError } from '../core/tlog/index.js';
import { logKeys, parseTrustedRoot, verifyCheckpoint, verifyCheckpointCommand, type CommandIO } from '../trust/index.js';
import { realdata } from './helpers/services.js';

const rd = realdata();
const PROD = join(rd.dir, 'sigstore', 'trusted-roots', 'prod', 'trusted_root.json');
const STAGING = join(rd.dir, 'sigstore', 'trusted-roots', 'staging', 'trusted_root.json');
const API = join(rd.dir, 'rekor', 'api');
const PROD_LOG_INFO = join(API, 'log-info-rekor.sigstore.dev-treesize-266676745.json');
const LOCAL_LOG_INFO = join(API, 'log-info-empty-local-rekor.json');
const LOCAL_PEM = join(API, 'log-info-empty-local-rekor.pub.pem');
const CONFORMANCE = join(rd.dir, 'sigstore', 'conformance', 'bundle-verify');

const tmp = mkdtempSync(join(tmpdir(), 'chainwatch-checkpoint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function io(): CommandIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    tuf: false,
    out: () => out,
    err: () => err,
  };
}

/** A private root holding one ECDSA log key, written the way an operator would for a local Rekor. */
function privateRoot(pemPath: string, baseUrl: string): string {
  const der = createPublicKey(readFileSync(pemPath, 'utf8')).export({ format: 'der', type: 'spki' });
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
        logId: { keyId: createHash('sha256').update(der).digest('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const path = join(tmp, `root-${baseUrl.replace(/\W/g, '_')}.json`);
  writeFileSync(path, JSON.stringify(root));
  return path;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TlogError);
    return (err as TlogError).code;
  }
  return undefined;
}

describe.skipIf(rd.skip)('verify-checkpoint (realdata Rekor log info)', () => {
  it('verifies rekor.sigstore.dev against the production root file', async () => {
    const o = io();
    expect(await verifyCheckpointCommand([PROD_LOG_INFO, '--trusted-root', PROD], o)).toBe(0);
    expect(o.err()).toBe('');
  });

  it('verifies rekor.sigstore.dev against the embedded production root (no --trusted-root, offline)', async () => {
    expect(await verifyCheckpointCommand([PROD_LOG_INFO], io())).toBe(0);
  });

  it('rejects it against the staging root: no staging log key signed it', async () => {
    const o = io();
    expect(await verifyCheckpointCommand([PROD_LOG_INFO, '--trusted-root', STAGING], o)).toBe(1);
    expect(o.err()).toContain('NOTE_UNKNOWN_KEY');
  });

  it('verifies a local Rekor against a private root by path, and not without it', async () => {
    expect(await verifyCheckpointCommand([LOCAL_LOG_INFO, '--trusted-root', privateRoot(LOCAL_PEM, 'http://c45c80833111')], io())).toBe(0);
    expect(await verifyCheckpointCommand([LOCAL_LOG_INFO, '--trusted-root', PROD], io())).toBe(1);
  });

  it('reads a bare signed note as well as log-info JSON', async () => {
    const note = join(tmp, 'checkpoint.txt');
    writeFileSync(note, (JSON.parse(readFileSync(PROD_LOG_INFO, 'utf8')) as { signedTreeHead: string }).signedTreeHead);
    expect(await verifyCheckpointCommand([note, '--trusted-root', PROD], io())).toBe(0);
  });

  it('rejects a tampered tree size, and a JSON rootHash that disagrees with the signed note', async () => {
    const info = JSON.parse(readFileSync(PROD_LOG_INFO, 'utf8')) as { signedTreeHead: string; rootHash: string; treeSize: number };
    const keys = logKeys(parseTrustedRoot(readFileSync(PROD, 'utf8'), PROD));
    expect(codeOf(() => verifyCheckpoint(info.signedTreeHead.replace('\n266676745\n', '\n266676746\n'), keys))).toBe('NOTE_SIGNATURE_INVALID');
    const { checkpoint: cp, verifiedBy } = verifyCheckpoint(info.signedTreeHead, keys);
    expect(cp.size).toBe(266676745);
    expect(cp.rootHash.toString('hex')).toBe(info.rootHash);
    expect(verifiedBy.baseUrl).toBe('https://rekor.sigstore.dev');

    const lying = join(tmp, 'lying.json');
    writeFileSync(lying, JSON.stringify({ ...info, rootHash: '00'.repeat(32) }));
    const o = io();
    expect(await verifyCheckpointCommand([lying, '--trusted-root', PROD], o)).toBe(1);
    expect(o.err()).toContain('CHECKPOINT_MISMATCH');
  });

  it('treats notes that do not parse as NOTE_MALFORMED or CHECKPOINT_MALFORMED', () => {
    const keys = logKeys(parseTrustedRoot(readFileSync(PROD, 'utf8'), PROD));
    expect(codeOf(() => verifyCheckpoint('rekor.sigstore.dev - 1\n5\nAAAA\n', keys))).toBe('NOTE_MALFORMED');
    expect(codeOf(() => verifyCheckpoint('origin\nnot-a-size\nAAAA\n\n\u2014 rekor.sigstore.dev AAAAAAAA\n', keys))).toBe('CHECKPOINT_MALFORMED');
  });

  it('returns usage errors as exit 2', async () => {
    expect(await verifyCheckpointCommand([], io())).toBe(2);
    expect(await verifyCheckpointCommand([PROD_LOG_INFO, '--bogus'], io())).toBe(2);
  });
});

describe.skipIf(rd.skip)('verify-checkpoint (Rekor v2 Ed25519 checkpoints inside conformance bundles)', () => {
  const run = async (name: string): Promise<number> =>
    verifyCheckpointCommand([join(CONFORMANCE, name, 'bundle.sigstore.json'), '--trusted-root', join(CONFORMANCE, name, 'trusted_root.json')], io());

  it.each(['rekor2-happy-path', 'rekor2-checkpoint-cosigned', 'rekor2-checkpoint-origin-not-first', 'rekor2-checkpoint-two-sigs-from-origin'])(
    '%s verifies (witness cosignatures are ignored)',
    async (name) => {
      expect(await run(name)).toBe(0);
    },
  );

  it.each([
    'rekor2-checkpoint-missing-log-signature_fail',
    'rekor2-checkpoint-missing-origin_fail',
    'rekor2-checkpoint-missing-root-hash_fail',
    'rekor2-checkpoint-missing-size_fail',
    'rekor2-checkpoint-no-matching-signature_fail',
  ])('%s fails', async (name) => {
    expect(await run(name)).toBe(1);
  });
});
