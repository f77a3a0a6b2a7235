import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

/**
 * Adding entries to a REAL Rekor v2 (scripts/services/rekor2.sh: rekor-tiles' POSIX server) the
 * way a client does: POST /api/v2/log/entries with a hashedrekord v0.0.2 request (the only kind
 * rekor-tiles v2.3.0 accepts; its DSSE request is deprecated and refused), signed here with a
 * throw-away P-256 key. The server answers once a checkpoint covers the entry, with the entry as it
 * logged it (canonicalized body) and its inclusion proof: what the tests compare the follower's
 * events with.
 */

export interface Rekor2Signer {
  privateKey: KeyObject;
  /** The SPKI DER the entry records as its verifier. */
  spkiDer: Buffer;
  /** sha256 hex of the SPKI DER: the signer fingerprint of the entry events. */
  fingerprint: string;
}

export function rekor2Signer(): Rekor2Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, spkiDer, fingerprint: createHash('sha256').update(spkiDer).digest('hex') };
}

/** What the log answered for one added entry. */
export interface Rekor2Added {
  logIndex: number;
  /** sha256 hex of the artifact (the entry's artifact digest). */
  digest: string;
  /** The entry body as logged (the leaf is this, verbatim). */
  canonicalizedBody: Buffer;
  /** The tree the server proved inclusion in. */
  proof: { treeSize: number; rootHash: string };
}

interface TransparencyLogEntryJson {
  logIndex: string;
  canonicalizedBody: string;
  kindVersion: { kind: string; version: string };
  inclusionProof: { treeSize: string; rootHash: string };
}

/** Signs `content` (ECDSA P-256 over its SHA-256) and adds it as a hashedrekord v0.0.2 entry. */
export async function addHashedRekordV2(url: string, signer: Rekor2Signer, content: string): Promise<Rekor2Added> {
  const artifact = Buffer.from(content);
  const digest = createHash('sha256').update(artifact).digest();
  const request = {
    hashedRekordRequestV002: {
      digest: digest.toString('base64'),
      signature: {
        content: sign('sha256', artifact, signer.privateKey).toString('base64'),
        verifier: { publicKey: { rawBytes: signer.spkiDer.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
      },
    },
  };
  const res = await fetch(`${url}/api/v2/log/entries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`rekor v2 add: HTTP ${res.status}: ${text.slice(0, 500)}`);
  const tle = JSON.parse(text) as TransparencyLogEntryJson;
  if (tle.kindVersion.kind !== 'hashedrekord' || tle.kindVersion.version !== '0.0.2')
    throw new Error(`rekor v2 add: logged as ${JSON.stringify(tle.kindVersion)}`);
  return {
    logIndex: Number(tle.logIndex),
    digest: digest.toString('hex'),
    canonicalizedBody: Buffer.from(tle.canonicalizedBody, 'base64'),
    proof: { treeSize: Number(tle.inclusionProof.treeSize), rootHash: tle.inclusionProof.rootHash },
  };
}

/** The size in the log's current checkpoint (its second line), read from the tile read path. */
export async function checkpointSize(tilesUrl: string): Promise<number> {
  const res = await fetch(new URL('checkpoint', tilesUrl), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`rekor v2 checkpoint: HTTP ${res.status}`);
  return Number((await res.text()).split('\n')[1]);
}
