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
  const base = { token, label: label?.value?.toString('utf8') ?? '', id: id?.value?.toString('hex') ?? '', keyType: ulong(type!.value) };
  try {
    const [params, point] = p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_EC_PARAMS }, { type: pkcs11js.CKA_EC_POINT }]);
    const { algorithm, publicKey } = ecPublicKey(params!.value, point!.value);
    return { ...base, algorithm, publicKey, keyId: spkiKeyId(publicKey) };
  } catch {
    return base; // RSA and other types: listed, without a keyId chainwatch could match
  }
}
