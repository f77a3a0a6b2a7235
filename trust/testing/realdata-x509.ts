/**
 * Every X.509 certificate and SPKI public key in the shared real test data (../shared/realdata):
 * PEM blocks in any file, DER files, and base64 DER or PEM inside JSON documents (Sigstore bundles'
 * verification material and certificate chains, trusted roots, Rekor entries and their base64
 * canonicalized bodies, DSSE payloads), recursively. A base64 string counts as a certificate when
 * it is DER shaped like one (SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }), as a key when it is an
 * SPKI (SEQUENCE { SEQUENCE, BIT STRING }), so that the corpus does not depend on any parser under
 * test. Certificates inside RFC 3161 timestamps (CMS) are not extracted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface RealItem {
  /** File (relative to the realdata folder) and where in it. */
  where: string;
  der: Buffer;
}

export function realX509(dir: string): { certificates: RealItem[]; keys: RealItem[] } {
  const certificates: RealItem[] = [];
  const keys: RealItem[] = [];
  const seen = new Set<string>();
  const add = (list: RealItem[], where: string, der: Buffer): void => {
    const id = der.toString('base64');
    if (seen.has(id)) return; // one entry per distinct DER; the first place it was found names it
    seen.add(id);
    list.push({ where, der });
  };
  const text = (where: string, s: string): void => {
    for (const m of s.matchAll(/-----BEGIN (CERTIFICATE|PUBLIC KEY)-----([\s\S]*?)-----END \1-----/g)) {
      const der = Buffer.from(m[2]!.replace(/\\n/g, ''), 'base64');
      add(m[1] === 'CERTIFICATE' ? certificates : keys, where, der);
    }
  };
  const binary = (where: string, b: Buffer): void => {
    const shape = derShape(b);
    if (shape === 'certificate') add(certificates, where, b);
    else if (shape === 'spki') add(keys, where, b);
  };
  const value = (where: string, v: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(v)) v.forEach((x, i) => value(`${where}[${i}]`, x, depth + 1));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) value(`${where}.${k}`, x, depth + 1);
    else if (typeof v === 'string') {
      if (v.includes('-----BEGIN ')) return text(where, v);
      if (v.length < 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return;
      const b = Buffer.from(v, 'base64');
      const head = b.subarray(0, 16).toString('latin1');
      if (head.startsWith('-----BEGIN ')) text(where, b.toString('utf8'));
      else if (head.startsWith('{')) document(where, b.toString('utf8'), depth + 1);
      else binary(where, b);
    }
  };
  const document = (where: string, s: string, depth: number): boolean => {
    try {
      value(where, JSON.parse(s), depth);
      return true;
    } catch {
      return false;
    }
  };
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        visit(p);
        continue;
      }
      const rel = relative(dir, p);
      const b = readFileSync(p);
      const s = b.toString('utf8');
      if (s.includes('-----BEGIN ')) text(rel, s);
      if (document(rel, s, 0)) continue;
      const lines = s.split('\n').filter((l) => l.trim().startsWith('{'));
      if (lines.length > 0) lines.forEach((l, i) => document(`${rel}:${i + 1}`, l, 0));
      else if (!s.includes('-----BEGIN ')) binary(rel, b);
    }
  };
  visit(dir);
  return { certificates, keys };
}

/** 'certificate' | 'spki' | undefined from the outer DER structure only (tags and lengths). */
function derShape(b: Buffer): 'certificate' | 'spki' | undefined {
  const kids = children(b);
  if (!kids) return undefined;
  const tags = kids.map((k) => k.tag).join(',');
  if (tags === '48,48,48,3') {
    const tbs = children(b.subarray(kids[0]!.start, kids[0]!.end), true);
    return tbs && tbs.length >= 6 ? 'certificate' : undefined;
  }
  if (tags === '48,48,3') return 'spki';
  return undefined;
}

/** [outer SEQUENCE tag, its children...] when b is exactly one SEQUENCE; `inner` lists the children of b itself. */
function children(b: Buffer, inner = false): { tag: number; start: number; end: number }[] | undefined {
  const out: { tag: number; start: number; end: number }[] = [];
  let pos = 0;
  let end = b.length;
  if (!inner) {
    const t = tlv(b, 0, b.length);
    if (!t || t.tag !== 0x30 || t.end !== b.length) return undefined;
    out.push(t);
    pos = t.start;
    end = t.end;
  }
  while (pos < end) {
    const t = tlv(b, pos, end);
    if (!t) return undefined;
    out.push(t);
    pos = t.end;
  }
  return out;
}

function tlv(b: Buffer, pos: number, limit: number): { tag: number; start: number; end: number } | undefined {
  if (pos + 2 > limit) return undefined;
  let len = b[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  return p + len > limit ? undefined : { tag: b[pos]!, start: p, end: p + len };
}
