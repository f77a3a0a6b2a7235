import type { KeyObject } from 'node:crypto';
import { KeyError, spkiKeyId, type SignatureAlgorithm } from '../../core/index.js';
import { ecPublicKey } from './encoding.js';
import { keyErrorFrom, type P11, pkcs11js, pkcs11Library } from './library.js';
import { ulong } from './signer.js';

/** A public key found on a token (the private half is never read: only its public object). */
export interface TokenKey {
  token: string;
  label: string;
  /** CKA_ID, hex. */
  id: string;
  /** keyId (hex SHA-256 of the SPKI) for EC and Ed25519 keys; undefined for key types chainwatch cannot use. */
  keyId?: string;
  algorithm?: SignatureAlgorithm;
  publicKey?: KeyObject;
  /** CKA_KEY_TYPE, for keys of other types. */
  keyType: number;
  /**
   * CKA_END_DATE as YYYY-MM-DD, when the token has one: the date after which the key should not
   * be used (PKCS#11 §4.7). The inventory takes it as the key's rotation date.
   */
  endDate?: string;
}

const MAX_OBJECTS = 10_000;

/**
 * Lists the public keys on the token labelled `token` (C_FindObjects over CKO_PUBLIC_KEY after a
 * login, since some tokens hide public objects until then). Throws KeyError.
 */
export async function listTokenKeys(module: string, token: string, pin: { reveal(): string }): Promise<TokenKey[]> {
  const lib = pkcs11Library(module);
  const slot = await lib.findSlot(token);
  return lib.call((p11) => {
    let session: P11.Handle;
    try {
      session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    } catch (err) {
      throw keyErrorFrom(err, `opening a session on ${token}`);
    }
    try {
      try {
        p11.C_Login(session, pkcs11js.CKU_USER, pin.reveal());
      } catch (err) {
        if (!(err instanceof pkcs11js.Pkcs11Error && err.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw err;
      }
      p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }]);
      let handles: P11.Handle[];
      try {
        handles = p11.C_FindObjects(session, MAX_OBJECTS);
      } finally {
        p11.C_FindObjectsFinal(session);
      }
      return handles.map((h) => describe(p11, session, h, token));
    } catch (err) {
      throw err instanceof KeyError ? err : keyErrorFrom(err, `listing the keys of ${token}`);
    } finally {
      try {
        p11.C_CloseSession(session);
      } catch {
        // the token went away meanwhile
      }
    }
  });
}

function describe(p11: P11.PKCS11, session: P11.Handle, h: P11.Handle, token: string): TokenKey {
  const [label, id, type] = p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_ID }, { type: pkcs11js.CKA_KEY_TYPE }]);
  const end = endDate(p11, session, h);
  const base = {
    token,
    label: label?.value?.toString('utf8') ?? '',
    id: id?.value?.toString('hex') ?? '',
    keyType: ulong(type!.value),
    ...(end ? { endDate: end } : {}),
  };
  try {
    const [params, point] = p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_EC_PARAMS }, { type: pkcs11js.CKA_EC_POINT }]);
    const { algorithm, publicKey } = ecPublicKey(params!.value, point!.value);
    return { ...base, algorithm, publicKey, keyId: spkiKeyId(publicKey) };
  } catch {
    return base; // RSA and other types: listed, without a keyId chainwatch could match
  }
}

/**
 * CKA_END_DATE: a CK_DATE of eight ASCII digits (YYYYMMDD), or empty when unset. Tokens that do not
 * keep dates answer with an error or an empty value: no date, never a failed listing.
 */
function endDate(p11: P11.PKCS11, session: P11.Handle, h: P11.Handle): string | undefined {
  let raw: Buffer | undefined;
  try {
    raw = p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_END_DATE }])[0]?.value;
  } catch {
    return undefined;
  }
  return raw ? ckDate(raw) : undefined;
}

/** YYYY-MM-DD from a CK_DATE, or undefined for an empty or invalid one (a real calendar date only). */
export function ckDate(raw: Uint8Array): string | undefined {
  const s = Buffer.from(raw).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : undefined;
}
