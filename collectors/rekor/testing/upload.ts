import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Adding entries to a REAL Rekor v1 (scripts/services/rekor.sh) the way a user does: the artifact
 * is signed with openssl and uploaded as a hashedrekord with the real rekor-cli
 * (CHAINWATCH_TEST_REKOR_CLI, else `rekor-cli` on PATH). For the integration tests in test/.
 */
const run = promisify(execFile);

export interface EcKeyPair {
  /** PKCS#8/SEC1 PEM private key file. */
  privateKey: string;
  /** SPKI PEM public key file. */
  publicKey: string;
  /** sha256 hex of the SPKI DER: how identity-watch policies name a key. */
  fingerprint: string;
}

/** A fresh P-256 key pair written as `<dir>/<name>.pem` and `<dir>/<name>.pub`. */
export async function generateEcKeyPair(dir: string, name: string): Promise<EcKeyPair> {
  const privateKey = join(dir, `${name}.pem`);
  const publicKey = join(dir, `${name}.pub`);
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', privateKey]);
  await run('openssl', ['ec', '-in', privateKey, '-pubout', '-out', publicKey]);
  const fingerprint = createHash('sha256')
    .update(createPublicKey(readFileSync(publicKey)).export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { privateKey, publicKey, fingerprint };
}

export interface HashedRekordUpload {
  /** Rekor base URL. */
  url: string;
  /** The artifact file to create (with `content`), sign and upload; `<artifact>.sig` is written beside it. */
  artifact: string;
  content: string;
  /** The signing key (PEM file). */
  privateKey: string;
  /** What Rekor records as the verifier: a public key or a certificate (PEM file) of the signing key. */
  verifier: string;
  cli?: string;
}

/** Writes, signs and uploads one artifact; returns its sha256 hex (the entry's artifact digest). */
export async function uploadHashedRekord(u: HashedRekordUpload): Promise<string> {
  writeFileSync(u.artifact, u.content);
  await run('openssl', ['dgst', '-sha256', '-sign', u.privateKey, '-out', `${u.artifact}.sig`, u.artifact]);
  const cli = u.cli ?? process.env.CHAINWATCH_TEST_REKOR_CLI ?? 'rekor-cli';
  await run(cli, [
    'upload',
    '--rekor_server',
    u.url,
    '--type',
    'hashedrekord',
    '--pki-format',
    'x509',
    '--artifact',
    u.artifact,
    '--signature',
    `${u.artifact}.sig`,
    '--public-key',
    u.verifier,
  ]);
  return createHash('sha256').update(readFileSync(u.artifact)).digest('hex');
}
