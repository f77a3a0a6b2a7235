import { constants, createHash, createPublicKey, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Digest } from './digest.js';
import { children, tlv } from './x509-der.js';

/**
 * RSASSA-PSS verification of a precomputed digest (EMSA-PSS-VERIFY, RFC 8017 §9.1.2), for
 * `verify-bundle <alg>:<hex>` with an RSASSA-PSS key: node:crypto only verifies PSS over the
 * message itself, so the encoded message is recovered with the raw public operation and checked
 * here. MGF1 uses the message hash and the salt length is read from the encoding (as Go's
 * PSSSaltLengthAuto does), unless the key's own parameters fix them.
 */
export function verifyRsaPssPrehashed(key: KeyObject, digest: Digest, signature: Buffer): boolean {
  const details = key.asymmetricKeyDetails;
  const modulusBits = details?.modulusLength;
  if (modulusBits === undefined) return false;
  if (details?.hashAlgorithm !== undefined && details.hashAlgorithm !== digest.algorithm) return false;
  if (details?.mgf1HashAlgorithm !== undefined && details.mgf1HashAlgorithm !== digest.algorithm) return false;
  let em: Buffer;
  try {
    em = publicDecrypt({ key: asPlainRsa(key), padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (em.length > emLen) {
    if (em[0] !== 0) return false;
    em = em.subarray(em.length - emLen);
  }
  const hLen = digest.value.length;
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if ((maskedDb[0]! & (0xff << (8 - topBits)) & 0xff) !== 0) return false;
  const db = mgf1(digest.algorithm, h, maskedDb.length).map((m, i) => m ^ maskedDb[i]!);
  db[0] = db[0]! & (0xff >> topBits);
  const one = db.findIndex((b) => b !== 0);
  if (one < 0 || db[one] !== 0x01) return false;
  const salt = db.subarray(one + 1);
  if (details?.saltLength !== undefined && salt.length < details.saltLength) return false;
  const expected = createHash(digest.algorithm).update(Buffer.alloc(8)).update(digest.value).update(salt).digest();
  return expected.length === h.length && timingSafeEqual(expected, h);
}

/**
 * OpenSSL refuses the raw public operation on an RSASSA-PSS key, so the same modulus and exponent
 * are loaded as a plain RSA key: SubjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING {
 * RSAPublicKey } }, and the BIT STRING (no unused bits) holds the PKCS#1 key.
 */
function asPlainRsa(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') return key;
  const spki = key.export({ type: 'spki', format: 'der' });
  const [, bits] = children(spki, tlv(spki, 0, spki.length));
  if (bits?.tag !== 0x03 || spki[bits.start] !== 0) throw new Error('unexpected RSASSA-PSS key encoding');
  return createPublicKey({ key: spki.subarray(bits.start + 1, bits.end), format: 'der', type: 'pkcs1' });
}

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0, have = 0; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    have += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}
