import type { SignerIdentity as Signer } from '../../core/index.js';
import { RekorError } from './errors.js';
import { signerFromPem } from '../../trust/index.js';

/**
 * Rekor entry bodies (the canonical JSON the leaf hash covers): {apiVersion, kind, spec}.
 * hashedrekord, rekord, dsse and intoto are read for artifact digests and signer keys or
 * certificates; every other kind is kept as it is with no digests or signers.
 */
export interface ParsedBody {
  kind: string;
  apiVersion?: string;
  body: Record<string, unknown>;
  digests: { algorithm: string; value: string }[];
  signers: Signer[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
/** o.a.b… for plain objects (fixed arity: a rest parameter would allocate an array per call). */
function at(o: unknown, a: string, b?: string, c?: string, d?: string): unknown {
  let cur = isObj(o) ? o[a] : undefined;
  if (b !== undefined) cur = isObj(cur) ? cur[b] : undefined;
  if (c !== undefined) cur = isObj(cur) ? cur[c] : undefined;
  if (d !== undefined) cur = isObj(cur) ? cur[d] : undefined;
  return cur;
}

function digestOf(h: unknown): { algorithm: string; value: string } | undefined {
  const algorithm = str(at(h, 'algorithm'));
  const value = str(at(h, 'value'));
  return algorithm && value ? { algorithm, value: value.toLowerCase() } : undefined;
}

/** Decodes and classifies a base64 body. Throws REKOR_ENTRY_MALFORMED when it is not a JSON object with a kind. */
export function parseBody(bodyB64: string): { parsed: ParsedBody; bytes: Buffer; text: string; json: Record<string, unknown> } {
  const bytes = Buffer.from(bodyB64, 'base64');
  // Exact canonical base64 (Buffer.from silently skips junk): the SET payload relies on it.
  if (bytes.length === 0 || bodyB64.length !== 4 * Math.ceil(bytes.length / 3) || bytes.toString('base64') !== bodyB64) {
    throw new RekorError('REKOR_ENTRY_MALFORMED', 'entry body is not canonical base64');
  }
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RekorError('REKOR_ENTRY_MALFORMED', 'entry body is not JSON', err);
  }
  if (!isObj(json) || !str(json.kind)) throw new RekorError('REKOR_ENTRY_MALFORMED', 'entry body has no kind');
  return { parsed: classify(json), bytes, text, json };
}

export function classify(body: Obj): ParsedBody {
  const kind = String(body.kind);
  const apiVersion = str(body.apiVersion);
  const spec = body.spec;
  const digests: ParsedBody['digests'] = [];
  const signers: Signer[] = [];
  // addDigest/addSigner are module-level functions, not per-call closures (hot path).
  switch (kind) {
    case 'hashedrekord':
    case 'rekord':
      addDigest(digests, at(spec, 'data', 'hash'));
      addSigner(signers, at(spec, 'signature', 'publicKey', 'content'));
      // Rekor v2 (0.0.2): {hashedRekordV002: {data: {algorithm, digest(b64)}, signature: {verifier}}}
      pushV2Digest(digests, at(spec, 'hashedRekordV002', 'data'));
      pushV2Verifier(signers, at(spec, 'hashedRekordV002', 'signature', 'verifier'));
      break;
    case 'dsse': {
      pushV2Digest(digests, at(spec, 'dsseV002', 'payloadHash'));
      const v2 = at(spec, 'dsseV002', 'signatures');
      if (Array.isArray(v2)) for (const s of v2) pushV2Verifier(signers, at(s, 'verifier'));
      addDigest(digests, at(spec, 'payloadHash'));
      addDigest(digests, at(spec, 'envelopeHash'));
      const sigs = at(spec, 'signatures');
      if (Array.isArray(sigs)) for (const s of sigs) addSigner(signers, at(s, 'verifier'));
      break;
    }
    case 'intoto': {
      addDigest(digests, at(spec, 'content', 'payloadHash'));
      addDigest(digests, at(spec, 'content', 'hash'));
      addSigner(signers, at(spec, 'publicKey')); // v0.0.1
      const sigs = at(spec, 'content', 'envelope', 'signatures'); // v0.0.2
      if (Array.isArray(sigs)) for (const s of sigs) addSigner(signers, at(s, 'publicKey'));
      break;
    }
    default:
      return { kind, ...(apiVersion ? { apiVersion } : {}), body: { raw: body }, digests, signers };
  }
  return { kind, ...(apiVersion ? { apiVersion } : {}), body, digests, signers };
}

function addDigest(digests: ParsedBody['digests'], h: unknown): void {
  const d = digestOf(h);
  if (!d) return;
  for (const x of digests) if (x.algorithm === d.algorithm && x.value === d.value) return;
  digests.push(d);
}

function addSigner(signers: Signer[], pem: unknown): void {
  const p = str(pem);
  if (p) signers.push(signerFromPem(p));
}

const V2_ALGS: Record<string, string> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

function pushV2Digest(out: ParsedBody['digests'], h: unknown): void {
  const alg = str(at(h, 'algorithm'));
  const dig = str(at(h, 'digest'));
  if (!alg || !dig) return;
  out.push({ algorithm: V2_ALGS[alg] ?? alg.toLowerCase(), value: Buffer.from(dig, 'base64').toString('hex') });
}

function pushV2Verifier(out: Signer[], v: unknown): void {
  const cert = str(at(v, 'x509Certificate', 'rawBytes'));
  const key = str(at(v, 'publicKey', 'rawBytes'));
  if (cert) out.push(signerFromPem(toPem('CERTIFICATE', cert)));
  else if (key) out.push(signerFromPem(toPem('PUBLIC KEY', key)));
}

function toPem(label: string, b64: string): string {
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${label}-----\n`;
}
