import { createHash } from 'node:crypto';
import { KeyError, spkiKeyId } from '../../core/index.js';
import { ecPublicKey } from '../pkcs11/encoding.js';
import { keyErrorFrom, type P11, pkcs11js, pkcs11Library } from '../pkcs11/library.js';
import { ulong } from '../pkcs11/signer.js';

/**
 * What runbooks do to keys in a PKCS#11 token (pkcs11js through keys/pkcs11's library object).
 * Every operation is idempotent: it reads the token first and reports `alreadyApplied` when the
 * effect is there (a run resumed after a crash never changes the token twice).
 */
export interface HsmToken {
  module: string;
  token: string;
  pin: { reveal(): string };
}

export type DisablePolicy = 'disable' | 'archive' | 'destroy';

export interface DisableOutcome {
  alreadyApplied: boolean;
  label: string;
  id: string;
  policy: DisablePolicy;
}

export interface GeneratedKey {
  alreadyApplied: boolean;
  keyId: string;
  label: string;
  id: string;
  publicKeyPem: string;
}

const ARCHIVED = 'archived:';

/** Runs `fn` on a fresh read-write session, logged in as the user. Throws KeyError. */
async function withSession<T>(t: HsmToken, fn: (p11: P11.PKCS11, session: P11.Handle) => T): Promise<T> {
  const lib = pkcs11Library(t.module);
  const slot = await lib.findSlot(t.token);
  return lib.call((p11) => {
    let session: P11.Handle;
    try {
      session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    } catch (err) {
      throw keyErrorFrom(err, `opening a session on ${t.token}`);
    }
    try {
      try {
        p11.C_Login(session, pkcs11js.CKU_USER, t.pin.reveal());
      } catch (err) {
        if (!(err instanceof pkcs11js.Pkcs11Error && err.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw err;
      }
      return fn(p11, session);
    } catch (err) {
      throw err instanceof KeyError ? err : keyErrorFrom(err, `runbook operation on ${t.token}`);
    } finally {
      try {
        p11.C_CloseSession(session);
      } catch {
        // the token went away meanwhile
      }
    }
  });
}

function find(p11: P11.PKCS11, session: P11.Handle, template: P11.Template): P11.Handle[] {
  p11.C_FindObjectsInit(session, template);
  try {
    return p11.C_FindObjects(session, 10_000);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

/** The public key object whose SPKI hashes to keyId, and its CKA_ID / label. */
function publicByKeyId(p11: P11.PKCS11, session: P11.Handle, keyId: string): { id: Buffer; label: string } | undefined {
  for (const h of find(p11, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }])) {
    try {
      const [params, point, id, label] = p11.C_GetAttributeValue(session, h, [
        { type: pkcs11js.CKA_EC_PARAMS },
        { type: pkcs11js.CKA_EC_POINT },
        { type: pkcs11js.CKA_ID },
        { type: pkcs11js.CKA_LABEL },
      ]);
      if (spkiKeyId(ecPublicKey(params!.value, point!.value).publicKey) === keyId) return { id: id!.value, label: label!.value.toString('utf8') };
    } catch {
      // not an EC/Ed25519 key: cannot be the one
    }
  }
  return undefined;
}

/**
 * Takes the key out of service per `policy`: disable sets CKA_SIGN false on the private key;
 * archive also relabels it "archived:<label>"; destroy destroys the private key object (the
 * public one stays, so the key can still be recognised). Throws KeyError KEY_NOT_FOUND when the
 * token holds no public key with this keyId.
 */
export async function disableKey(t: HsmToken, keyId: string, policy: DisablePolicy): Promise<DisableOutcome> {
  return withSession(t, (p11, session) => {
    const pub = publicByKeyId(p11, session, keyId);
    if (!pub) throw new KeyError('KEY_NOT_FOUND', `no key ${keyId.slice(0, 16)}… on the token ${t.token}`);
    const id = pub.id.toString('hex');
    const privs = find(p11, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: pub.id },
    ]);
    if (privs.length === 0) {
      // Destroyed (by this run before a crash, or earlier): nothing can sign with it any more.
      return { alreadyApplied: true, label: pub.label, id, policy };
    }
    let changed = false;
    for (const h of privs) {
      const [sign, label] = p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_SIGN }, { type: pkcs11js.CKA_LABEL }]);
      switch (policy) {
        case 'destroy':
          p11.C_DestroyObject(session, h);
          changed = true;
          break;
        case 'archive':
        case 'disable': {
          if (ulong(sign!.value) !== 0) {
            p11.C_SetAttributeValue(session, h, [{ type: pkcs11js.CKA_SIGN, value: false }]);
            changed = true;
          }
          const l = label!.value.toString('utf8');
          if (policy === 'archive' && !l.startsWith(ARCHIVED)) {
            p11.C_SetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL, value: `${ARCHIVED}${l}` }]);
            changed = true;
          }
          break;
        }
      }
    }
    return { alreadyApplied: !changed, label: pub.label, id, policy };
  });
}

/** CKA_SIGN of the key's private object(s): false when every one is disabled or none is left. */
export async function canSign(t: HsmToken, keyId: string): Promise<boolean> {
  return withSession(t, (p11, session) => {
    const pub = publicByKeyId(p11, session, keyId);
    if (!pub) return false;
    const privs = find(p11, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: pub.id },
    ]);
    return privs.some((h) => ulong(p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_SIGN }])[0]!.value) !== 0);
  });
}

const CURVE_OID = { 'ecdsa-p256-sha256': '06082a8648ce3d030107', 'ecdsa-p384-sha384': '06052b81040022' } as const;

/**
 * Generates an EC key pair in the token with CKA_ID derived from `seed` (the run and step), or
 * returns the one an earlier attempt of the same step made: the id is the idempotency key.
 */
export async function generateKey(t: HsmToken, seed: string, label: string, algorithm: keyof typeof CURVE_OID): Promise<GeneratedKey> {
  const id = createHash('sha256').update(seed).digest().subarray(0, 16);
  return withSession(t, (p11, session) => {
    let alreadyApplied = true;
    let pubs = find(p11, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    if (pubs.length === 0) {
      alreadyApplied = false;
      const params = Buffer.from(CURVE_OID[algorithm], 'hex');
      const keys = p11.C_GenerateKeyPair(
        session,
        { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_EC_PARAMS, value: params },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: id },
        ],
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: id },
        ],
      );
      pubs = [keys.publicKey];
    }
    const [params, point] = p11.C_GetAttributeValue(session, pubs[0]!, [{ type: pkcs11js.CKA_EC_PARAMS }, { type: pkcs11js.CKA_EC_POINT }]);
    const { publicKey } = ecPublicKey(params!.value, point!.value);
    return {
      alreadyApplied,
      keyId: spkiKeyId(publicKey),
      label,
      id: id.toString('hex'),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  });
}
