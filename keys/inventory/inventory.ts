import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeError, KeyError, spkiKeyId } from '../../core/index.js';
import type { TokenKey } from '../pkcs11/list.js';
import type { ConfiguredKey, InventoryConfig, KeyState } from './config.js';
import type { Revocation, Sighting } from './store.js';

/**
 * One inventory entry: a key or identity with its owner, purpose, dates and state, and what
 * chainwatch saw of it. `id` is how events name it: the hex SHA-256 of the SPKI for keys (the
 * `keyId` of registry signer records and revocations), `identity:<issuer>|<subject>` for keyless
 * identities (the revocation subject), `kms:<uri>` for KMS references (opaque: never resolved).
 */
export interface KeyEntry {
  id: string;
  kind: ConfiguredKey['kind'] | 'hsm';
  name?: string;
  owner?: string;
  purpose?: string;
  allowedIdentities: string[];
  allowedArtifacts: string[];
  created?: string;
  rotationDue?: string;
  state: KeyState;
  /** The latest signature chainwatch saw by this key (event time). */
  lastSeen?: string;
  lastSeenIn?: { eventType: string; eventId: string; subject?: string };
  revoked?: { at: string; reason: string; actor: string };
  /** Where it is: a KMS URI, a token/label, a certificate subject. */
  location?: string;
  algorithm?: string;
  /** Where the entry was read: `keys[<i>]` (config) or `token:<label>`; one place per read. */
  origin?: string;
}

/** Why a configured key could not be read (a missing file, not PEM): shown in the listing, never fatal. */
export interface InventoryProblem {
  index: number;
  /** The place that could not be read (as KeyEntry.origin). */
  origin: string;
  code: string;
  message: string;
}

/** The id of a configured key. Throws KeyError for unreadable key material. */
export function configuredEntry(k: ConfiguredKey): KeyEntry {
  const base = {
    kind: k.kind,
    ...(k.name ? { name: k.name } : {}),
    ...(k.owner ? { owner: k.owner } : {}),
    ...(k.purpose ? { purpose: k.purpose } : {}),
    allowedIdentities: k.allowedIdentities,
    allowedArtifacts: k.allowedArtifacts,
    ...(k.created ? { created: k.created } : {}),
    ...(k.rotationDue ? { rotationDue: k.rotationDue } : {}),
    state: k.state,
  };
  switch (k.kind) {
    case 'cosign': {
      const pem = material(k.publicKey, k.publicKeyFile, 'publicKey');
      try {
        const pub = createPublicKey(pem);
        return { ...base, id: spkiKeyId(pub), algorithm: pub.asymmetricKeyType ?? 'unknown' };
      } catch (err) {
        throw new KeyError('KEY_UNREADABLE', 'the cosign public key is not a PEM public key', { cause: err });
      }
    }
    case 'kms':
      return { ...base, id: `kms:${k.uri}`, location: k.uri };
    case 'fulcio':
      return { ...base, id: `identity:${k.issuer}|${k.subject}`, location: k.issuer };
    case 'x509': {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(material(k.certificate, k.certificateFile, 'certificate'));
      } catch (err) {
        if (err instanceof KeyError) throw err;
        throw new KeyError('KEY_UNREADABLE', 'the signing certificate is not a PEM certificate', { cause: err });
      }
      const notAfter = new Date(cert.validTo).toISOString();
      return {
        ...base,
        id: spkiKeyId(cert.publicKey),
        location: cert.subject.replace(/\n/g, ', '),
        algorithm: cert.publicKey.asymmetricKeyType ?? 'unknown',
        rotationDue: k.rotationDue ?? notAfter,
      };
    }
  }
}

function material(inline: string | undefined, file: string | undefined, what: string): string {
  if (inline !== undefined) return inline;
  if (file === undefined) throw new KeyError('KEY_UNREADABLE', `give ${what} or ${what}File`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyError('KEY_NOT_FOUND', `cannot read ${file}`, { cause: err });
  }
}

export function tokenEntry(k: TokenKey, token: Pick<InventoryConfig['tokens'][number], 'owner' | 'purpose'>): KeyEntry {
  return {
    id: k.keyId ?? `pkcs11:${k.token}/${k.label || k.id}`,
    kind: 'hsm',
    ...(k.label ? { name: k.label } : {}),
    ...(token.owner ? { owner: token.owner } : {}),
    ...(token.purpose ? { purpose: token.purpose } : {}),
    allowedIdentities: [],
    allowedArtifacts: [],
    ...(k.endDate ? { rotationDue: k.endDate } : {}),
    state: 'active',
    location: `pkcs11:token=${encodeURIComponent(k.token)};object=${encodeURIComponent(k.label)}${k.id ? `;id=${k.id.replace(/(..)/g, '%$1')}` : ''}`,
    algorithm: k.algorithm ?? `CKK 0x${k.keyType.toString(16)}`,
  };
}

/**
 * The configured keys and the keys on the configured tokens. A key that cannot be read (a missing
 * PEM file, a token with a wrong PIN) is a coded problem beside the others, never a failure.
 */
export async function readEntries(
  cfg: InventoryConfig | undefined,
  /** Tokens not to log in to again (their refusal stands as the problem): see the recorder. */
  refused: ReadonlyMap<string, InventoryProblem> = new Map(),
): Promise<{ entries: KeyEntry[]; problems: InventoryProblem[] }> {
  const problems: InventoryProblem[] = [];
  const entries: KeyEntry[] = [];
  (cfg?.keys ?? []).forEach((k, index) => {
    try {
      entries.push({ ...configuredEntry(k), origin: `keys[${index}]` });
    } catch (err) {
      const { code, message } = describeError(err);
      problems.push({ index, origin: `keys[${index}]`, code, message: `keys.inventory.keys[${index}]: ${message}` });
    }
  });
  for (const [index, t] of (cfg?.tokens ?? []).entries()) {
    const standing = refused.get(t.token);
    if (standing) {
      problems.push({ ...standing, index });
      continue;
    }
    try {
      // Loaded only when a token is configured: the native addon stays out of other processes.
      const { listTokenKeys } = await import('../pkcs11/index.js');
      for (const k of await listTokenKeys(t.module, t.token, t.pin)) entries.push({ ...tokenEntry(k, t), origin: `token:${t.token}` });
    } catch (err) {
      const { code, message } = describeError(err);
      problems.push({ index, origin: `token:${t.token}`, code, message: `keys.inventory.tokens[${index}] (${t.token}): ${message}` });
    }
  }
  return { entries, problems };
}

/**
 * Merges the entries with what the recorder saw: an HSM key also named in config keeps the
 * config's owner, dates and origin (an HSM key's CKA_END_DATE only where config gives no rotation
 * date); a revocation overrides the configured state.
 */
export function mergeInventory(entries: readonly KeyEntry[], seen: Map<string, Sighting>, revoked: Map<string, Revocation>): KeyEntry[] {
  const byId = new Map<string, KeyEntry>();
  for (const e of entries) {
    const prev = byId.get(e.id);
    byId.set(e.id, prev ? { ...e, ...prev, location: prev.location ?? e.location } : e);
  }
  return [...byId.values()].map((e) => {
    const s = seen.get(e.id);
    const r = revoked.get(e.id);
    return {
      ...e,
      ...(s ? { lastSeen: s.lastSeen, lastSeenIn: { eventType: s.eventType, eventId: s.eventId, ...(s.subject ? { subject: s.subject } : {}) } } : {}),
      ...(r ? { state: 'revoked' as const, revoked: { at: r.revokedAt, reason: r.reason, actor: r.actor } } : {}),
    };
  });
}
