/**
 * The references for trust/identity.ts's tests and benchmark: the Signer that a real X.509 parser
 * yields for a certificate, by the same documented rules (SHA-256 of the DER, first e-mail or URI
 * SAN, validity, every 1.3.6.1.4.1.57264.1.* extension: raw UTF-8 for .1–.6, a DER string for .8
 * on, the OIDC issuer from .8 else .1, the GitHub claims). referenceSigner uses @peculiar/x509 (a
 * full ASN.1 schema implementation, independent of ours and of sigstore's); sigstoreSigner uses
 * @sigstore/core's X509Certificate (strict DER, reads only what it is asked for). Both throw when
 * their parser refuses the certificate, or when it is ambiguous (two instances of one extension:
 * RFC 5280 4.2 forbids it).
 */
import { hash } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 needs a Reflect polyfill, loaded before it
import * as x509 from '@peculiar/x509';
import { ASN1Obj, X509Certificate as SigstoreX509 } from '@sigstore/core';
import * as asn1js from 'asn1js';
import type { SignerIdentity as Signer } from '../../core/index.js';

const ARC = '1.3.6.1.4.1.57264.1.';
const SAN_OID = '2.5.29.17';

/** Rekor/Fulcio claim names of the GitHub block, v2 OID first, deprecated v1 after. */
const GITHUB: [keyof NonNullable<Signer['github']>, number[]][] = [
  ['workflowRef', [9, 18]],
  ['repository', [12, 5]],
  ['ref', [14, 6]],
  ['sha', [13, 3]],
  ['trigger', [20, 2]],
  ['workflowName', [4]],
  ['runnerEnvironment', [11]],
  ['runInvocationUri', [21]],
];

export function referenceSigner(der: Uint8Array): Signer {
  const cert = new x509.X509Certificate(Buffer.from(der));
  const raw = Buffer.from(cert.rawData);
  const seen = new Set<string>();
  const extensions: Record<string, string> = {};
  let san: string | undefined;
  for (const ext of cert.extensions) {
    if (seen.has(ext.type)) throw new Error(`duplicate extension ${ext.type}`);
    seen.add(ext.type);
    const value = Buffer.from(ext.value);
    if (ext.type === SAN_OID) {
      const names = new x509.SubjectAlternativeNameExtension(ext.rawData).names.items;
      san = names.find((n) => n.type === 'email' || n.type === 'url')?.value;
    } else if (ext.type.startsWith(ARC)) {
      const arc = Number(ext.type.slice(ARC.length).split('.')[0]);
      extensions[ext.type] = arc >= 1 && arc <= 6 ? value.toString('utf8') : (derString(value) ?? value.toString('utf8'));
    }
  }
  return withClaims(
    {
      kind: 'certificate',
      fingerprintSha256: hash('sha256', raw, 'hex'),
      extensions,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
    },
    san,
  );
}

export function sigstoreSigner(der: Uint8Array): Signer {
  const buf = Buffer.from(der);
  const cert = SigstoreX509.parse(buf);
  const seen = new Set<string>();
  const extensions: Record<string, string> = {};
  let san: string | undefined;
  for (const ext of cert.extensions) {
    const oid = ext.subs[0]!.toOID();
    if (seen.has(oid)) throw new Error(`duplicate extension ${oid}`);
    seen.add(oid);
    const value = ext.subs[ext.subs.length - 1]!.value;
    if (oid === SAN_OID) {
      const name = ASN1Obj.parseBuffer(Buffer.from(value)).subs.find((g) => g.tag.isContextSpecific(1) || g.tag.isContextSpecific(6));
      san = name?.value.toString('latin1');
    } else if (oid.startsWith(ARC)) {
      const arc = Number(oid.slice(ARC.length).split('.')[0]);
      if (arc >= 1 && arc <= 6) extensions[oid] = value.toString('utf8');
      else {
        const s = ASN1Obj.parseBuffer(Buffer.from(value));
        if (![0x0c, 0x16, 0x13].includes(s.tag.toDER())) throw new Error(`${oid} is not a string`);
        extensions[oid] = s.value.toString('utf8');
      }
    }
  }
  return withClaims(
    {
      kind: 'certificate',
      fingerprintSha256: hash('sha256', buf, 'hex'),
      extensions,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
    },
    san,
  );
}

function withClaims(signer: Signer, san: string | undefined): Signer {
  const extensions = signer.extensions;
  if (san !== undefined) signer.san = san;
  const issuer = extensions[`${ARC}8`] ?? extensions[`${ARC}1`];
  if (issuer !== undefined) signer.issuer = issuer;
  for (const [name, arcs] of GITHUB) {
    const v = arcs.map((a) => extensions[ARC + a]).find((x) => x !== undefined);
    if (v !== undefined) (signer.github ??= {})[name] = v;
  }
  return signer;
}

/**
 * The Signer of a bare SPKI public key: SHA-256 of the SubjectPublicKeyInfo @peculiar/x509 parses.
 * Like the walker it reads the structure, not the key: an EC point off its curve still has an
 * SPKI (node:crypto would refuse to load it; the log refuses such keys on upload).
 */
export function referenceKeySigner(spkiDer: Uint8Array): Signer {
  const key = new x509.PublicKey(Buffer.from(spkiDer));
  return { kind: 'publicKey', fingerprintSha256: hash('sha256', Buffer.from(key.rawData), 'hex'), extensions: {} };
}

/** A whole-buffer DER UTF8String, IA5String or PrintableString; undefined for anything else. */
function derString(b: Buffer): string | undefined {
  const { offset, result } = asn1js.fromBER(b);
  if (offset !== b.length) return undefined;
  if (result instanceof asn1js.Utf8String || result instanceof asn1js.IA5String || result instanceof asn1js.PrintableString) return result.getValue();
  return undefined;
}
