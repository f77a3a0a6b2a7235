/**
 * Test helper: turns a real Fulcio certificate (PEM, from realdata) into the `Signer` a Rekor
 * entry event carries, the way the Rekor collector does: SAN and fingerprint from node:crypto,
 * Fulcio extensions 1.3.6.1.4.1.57264.1.* from a tiny DER walker (enough for X.509 extensions,
 * not a general ASN.1 parser). Tests build realistic rekor.entry events from real identities.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Signer } from '../../core/index.js';

interface Tlv {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function tlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = tlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

function oid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Extensions of a DER certificate: OID -> raw extnValue (content of the OCTET STRING). */
export function extensionsOf(der: Buffer): Map<string, Buffer> {
  const cert = tlv(der, 0);
  const tbs = children(der, cert)[0]!;
  const wrapper = children(der, tbs).find((c) => c.tag === 0xa3);
  const out = new Map<string, Buffer>();
  if (!wrapper) return out;
  for (const ext of children(der, children(der, wrapper)[0]!)) {
    const parts = children(der, ext);
    const id = oid(der.subarray(parts[0]!.start, parts[0]!.end));
    const value = parts[parts.length - 1]!;
    out.set(id, der.subarray(value.start, value.end));
  }
  return out;
}

const FULCIO = '1.3.6.1.4.1.57264.1.';

/** Fulcio extension values as strings: .1-.6 are raw bytes, .8 onwards DER strings. */
export function fulcioExtensions(der: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, raw] of extensionsOf(der)) {
    if (!id.startsWith(FULCIO)) continue;
    const arc = Number(id.slice(FULCIO.length));
    if (arc === 7) continue; // OtherName SAN: not a string
    if (arc <= 6) out[id] = raw.toString('utf8');
    else {
      const inner = tlv(raw, 0);
      out[id] = raw.subarray(inner.start, inner.end).toString('utf8');
    }
  }
  return out;
}

export function signerFromPem(pem: string | Buffer): Signer {
  const cert = new X509Certificate(pem);
  const der = cert.raw;
  const ext = fulcioExtensions(der);
  const san = cert.subjectAltName?.split(', ')[0]?.replace(/^(URI|email):/, '');
  const e = (n: number) => ext[`${FULCIO}${n}`];
  const github = {
    workflowRef: e(9),
    repository: e(5),
    ref: e(6),
    sha: e(3),
    trigger: e(2),
    workflowName: e(4),
    runnerEnvironment: e(11),
    runInvocationUri: e(21),
  };
  const hasGithub = Object.values(github).some((v) => v !== undefined);
  return {
    kind: 'certificate',
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    ...(san ? { san } : {}),
    ...((e(8) ?? e(1)) ? { issuer: e(8) ?? e(1) } : {}),
    extensions: ext,
    ...(hasGithub ? { github: Object.fromEntries(Object.entries(github).filter(([, v]) => v !== undefined)) } : {}),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

export function signerFromFile(path: string): Signer {
  return signerFromPem(readFileSync(path));
}
