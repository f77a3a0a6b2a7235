/**
 * Makes managed-key Sigstore bundles (v0.3, public-key hint, hashedrekord 0.0.1 tlog entry) for
 * any key Sigstore's algorithm registry allows, without a network: the artifact is signed with
 * node:crypto, and a throw-away "Rekor" (an ECDSA P-256 log key, as Rekor v1 uses) logs it the way
 * Rekor v1 does: canonical hashedrekord body, signed entry timestamp over the canonical
 * {body, integratedTime, logID, logIndex}, an RFC 6962 inclusion proof in a two-leaf tree and a
 * checkpoint signed as a Rekor v1 signed note (key hint = first 4 bytes of the log ID). The trusted
 * root returned lists that log key. Verification material therefore has exactly the shape Rekor
 * and cosign/sigstore-go produce; only the keys are local. Tests generate fixtures at run time
 * (nothing is checked in), and check some of them against @sigstore/verify as the oracle.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject, type RSAPSSKeyPairKeyObjectOptions } from 'node:crypto';
import { canonicalJson } from '../../core/index.js';
import { formatCheckpoint, leafHash, nodeHash, signNoteEcdsa } from '../../core/tlog/index.js';

export type BundleDigest = 'sha256' | 'sha384' | 'sha512';

/** One entry of Sigstore's algorithm registry (docs/algorithm-registry.md in sigstore/architecture-docs). */
export type SigningKeySpec =
  { kind: 'ecdsa'; curve: 'P-256' | 'P-384' | 'P-521' } | { kind: 'rsa-pkcs1'; bits: 2048 | 3072 | 4096 } | { kind: 'rsa-pss'; bits: 2048 | 3072 | 4096 };

/** The registry pairs each key with one hash: P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, RSA/SHA-256. */
export function registryDigest(spec: SigningKeySpec): BundleDigest {
  if (spec.kind !== 'ecdsa') return 'sha256';
  return spec.curve === 'P-256' ? 'sha256' : spec.curve === 'P-384' ? 'sha384' : 'sha512';
}

export interface GeneratedBundle {
  bundle: Record<string, unknown>;
  /** PEM public key to pass as --key / policy.key. */
  publicKeyPem: string;
  /** trusted_root.json text listing the throw-away log. */
  trustedRoot: string;
}

const CURVE_NAMES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;
const ENUM = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' } as const;
const LOG_URL = 'https://rekor.chainwatch.test';
const LOG_NAME = 'rekor.chainwatch.test';

export function generateSigningKey(spec: SigningKeySpec): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (spec.kind) {
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: CURVE_NAMES[spec.curve] });
    case 'rsa-pkcs1':
      return generateKeyPairSync('rsa', { modulusLength: spec.bits });
    case 'rsa-pss':
      // An RSASSA-PSS SPKI (OID 1.2.840.113549.1.1.10): the key itself says "PSS", which is the
      // only way a public-key hint can carry the padding.
      return generateKeyPairSync('rsa-pss', pssOptions(spec.bits));
  }
}

function pssOptions(modulusLength: number): RSAPSSKeyPairKeyObjectOptions {
  // The salt length is given when signing (32, the hash length, as Go's PSSSaltLengthEqualsHash).
  return { modulusLength, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256' };
}

export interface SignOptions {
  /** The message digest algorithm written into the bundle (default: the registry's for the key). */
  digest?: BundleDigest;
  /** Reuse a key (RSA 4096 generation is slow). */
  keys?: { privateKey: KeyObject; publicKey: KeyObject };
}

export function signBundle(artifact: Buffer, spec: SigningKeySpec, opts: SignOptions = {}): GeneratedBundle {
  const digestAlg = opts.digest ?? registryDigest(spec);
  const { privateKey, publicKey } = opts.keys ?? generateSigningKey(spec);
  const digest = createHash(digestAlg).update(artifact).digest();
  const signature = sign(digestAlg, artifact, spec.kind === 'rsa-pss' ? { key: privateKey, saltLength: 32 } : privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const body = Buffer.from(
    canonicalJson({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: digestAlg, value: digest.toString('hex') } },
        signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(publicKeyPem).toString('base64') } },
      },
    }),
  );
  const log = logEntry(body);

  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: {
        hint: createHash('sha256')
          .update(publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64'),
      },
      tlogEntries: [log.entry],
    },
    messageSignature: { messageDigest: { algorithm: ENUM[digestAlg], digest: digest.toString('base64') }, signature: signature.toString('base64') },
  };
  return { bundle, publicKeyPem, trustedRoot: log.trustedRoot };
}

/** Logs `body` at index 1 of a two-leaf tree under a fresh log key, as Rekor v1 would. */
function logEntry(body: Buffer): { entry: Record<string, unknown>; trustedRoot: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(spki).digest();
  const integratedTime = Math.floor(Date.now() / 1000) - 60;
  const logIndex = 1;

  const sibling = leafHash(Buffer.from('an earlier entry'));
  const rootHash = nodeHash(sibling, leafHash(body));
  const checkpoint = signNoteEcdsa(formatCheckpoint({ origin: `${LOG_NAME} - 1`, size: 2, rootHash, extensions: [] }), LOG_NAME, privateKey);
  const setPayload = canonicalJson({ body: body.toString('base64'), integratedTime, logID: logId.toString('hex'), logIndex });
  const set = sign('sha256', Buffer.from(setPayload), privateKey);

  const entry = {
    logIndex: String(logIndex),
    logId: { keyId: logId.toString('base64') },
    kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
    inclusionProof: {
      logIndex: String(logIndex),
      rootHash: rootHash.toString('base64'),
      treeSize: '2',
      hashes: [sibling.toString('base64')],
      checkpoint: { envelope: checkpoint },
    },
    canonicalizedBody: body.toString('base64'),
  };
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: LOG_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
        logId: { keyId: logId.toString('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  return { entry, trustedRoot: JSON.stringify(trustedRoot) };
}

/** A PEM public key's KeyObject (the oracle test hands it to @sigstore/verify directly). */
export const publicKeyOf = (pem: string): KeyObject => createPublicKey(pem);
