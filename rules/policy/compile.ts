import { createHash, createPublicKey } from 'node:crypto';
import type { ArtifactSigner } from '../../core/index.js';
import { claimsOf, normalizeFingerprint } from '../identity/index.js';
import { CelSyntaxError, compileCondition, type CompiledCondition } from './cel.js';
import type { ImagePolicyErrorCode } from './errors.js';
import { imageGlobToRegExp } from './image.js';
import type { AttestationRequirement, Authority, ImagePolicy } from './schema.js';

/**
 * Turns a validated policy into matchers, once: image globs to regexes, keys to key ids, keyless
 * identities to regexes, CEL conditions to planned functions. Problems are collected as issues
 * (with their YAML path) so that one `policy check` lists all of them.
 */
export type SignerMatch = { ok: true } | { ok: false; why: string };

export interface CompiledRequirement {
  name: string;
  predicateType: string;
  condition: CompiledCondition | undefined;
}

export type CompiledAuthority =
  | { name: string; kind: 'static'; pass: boolean }
  | { name: string; kind: 'key' | 'keyless'; describe: string; accepts: (s: ArtifactSigner | undefined) => SignerMatch; attestations: CompiledRequirement[] };

export interface CompiledPolicy {
  name: string;
  mode: ImagePolicy['mode'];
  file: string;
  images: readonly string[];
  appliesTo: (name: string) => boolean;
  authorities: CompiledAuthority[];
  threshold: number | undefined;
  attestations: CompiledRequirement[];
  requires: readonly string[];
  /** Where `name` and each `requires` entry are in the file, for set-level errors (duplicates, stages). */
  where: { name: Loc; requires: Loc[] };
}

export interface Loc {
  path: string;
  line?: number;
  col?: number;
}

export interface CompileContext {
  file: string;
  /** Reads a key file named by `key.path` (already resolved against the policy file's directory). */
  readKeyFile: (path: string) => string;
  resolvePath: (path: string) => string;
  issue: (code: ImagePolicyErrorCode, path: (string | number)[], message: string, offset?: { line: number; col: number }) => void;
  locate: (path: (string | number)[]) => Loc;
}

export function compilePolicy(p: ImagePolicy, ctx: CompileContext): CompiledPolicy {
  const globs = p.images.map(imageGlobToRegExp);
  if (p.threshold !== undefined && p.threshold > p.authorities.length) {
    ctx.issue('POLICY_INVALID', ['threshold'], `threshold ${p.threshold} exceeds the ${p.authorities.length} authorities`);
  }
  if (p.authorities.length === 0 && p.attestations.length === 0) {
    ctx.issue('POLICY_INVALID', ['authorities'], 'a policy needs at least one authority or attestation requirement');
  }
  return {
    name: p.name,
    mode: p.mode,
    file: ctx.file,
    images: p.images,
    appliesTo: (name) => globs.some((re) => re.test(name)),
    authorities: p.authorities.map((a, i) => compileAuthority(a, ['authorities', i], ctx)),
    threshold: p.threshold,
    attestations: compileRequirements(p.attestations, ['attestations'], ctx),
    requires: p.requires,
    where: { name: ctx.locate(['name']), requires: p.requires.map((_, i) => ctx.locate(['requires', i])) },
  };
}

function compileAuthority(a: Authority, at: (string | number)[], ctx: CompileContext): CompiledAuthority {
  if (a.static !== undefined) return { name: a.name, kind: 'static', pass: a.static === 'pass' };
  const attestations = compileRequirements(a.attestations ?? [], [...at, 'attestations'], ctx);
  if (a.key) {
    const keyId = resolveKeyId(a.key, [...at, 'key'], ctx);
    return {
      name: a.name,
      kind: 'key',
      describe: `key ${keyId.slice(0, 16)}…`,
      accepts: (s) => {
        const id = s?.keyId ?? (s?.kind === 'publicKey' && s.fingerprintSha256 ? normalizeFingerprint(s.fingerprintSha256) : undefined);
        if (id === keyId) return { ok: true };
        return { ok: false, why: id ? `signed with key ${id.slice(0, 16)}…, not ${keyId.slice(0, 16)}…` : 'signer has no key id' };
      },
      attestations,
    };
  }
  const k = a.keyless!;
  const issuer = k.issuer !== undefined ? exact(k.issuer) : regex(k.issuerRegExp!, [...at, 'keyless', 'issuerRegExp'], ctx);
  const subject = k.subject !== undefined ? exact(k.subject) : regex(k.subjectRegExp!, [...at, 'keyless', 'subjectRegExp'], ctx);
  return {
    name: a.name,
    kind: 'keyless',
    describe: `keyless ${k.subject ?? `/${k.subjectRegExp}/`} from ${k.issuer ?? `/${k.issuerRegExp}/`}`,
    accepts: (s) => {
      if (!s || s.kind !== 'certificate') return { ok: false, why: 'not signed with a certificate' };
      const c = claimsOf(s);
      if (!issuer(c.issuer)) return { ok: false, why: `issuer ${c.issuer ?? '(none)'} not allowed` };
      if (!subject(c.san)) return { ok: false, why: `subject ${c.san ?? '(none)'} not allowed` };
      return { ok: true };
    },
    attestations,
  };
}

function compileRequirements(reqs: AttestationRequirement[], at: (string | number)[], ctx: CompileContext): CompiledRequirement[] {
  return reqs.map((r, i) => {
    let condition: CompiledCondition | undefined;
    if (r.condition !== undefined) {
      try {
        condition = compileCondition(r.condition);
      } catch (err) {
        if (!(err instanceof CelSyntaxError)) throw err;
        ctx.issue('POLICY_BAD_CONDITION', [...at, i, 'condition'], `CEL syntax error at ${err.line}:${err.column} of the expression: ${err.message}`, {
          line: err.line,
          col: err.column,
        });
      }
    }
    return { name: r.name ?? r.predicateType, predicateType: r.predicateType, condition };
  });
}

const exact = (v: string) => (x: string | undefined) => x === v;

function regex(source: string, at: (string | number)[], ctx: CompileContext): (x: string | undefined) => boolean {
  try {
    // Anchored like policy-controller's RegExp identities: the whole value must match.
    const re = new RegExp(`^(?:${source})$`, 'u');
    return (x) => x !== undefined && re.test(x);
  } catch (err) {
    ctx.issue('POLICY_BAD_PATTERN', at, `not a valid regular expression: ${(err as Error).message}`);
    return () => false;
  }
}

/** keyId = lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo (what signers carry). */
function resolveKeyId(key: NonNullable<Authority['key']>, at: (string | number)[], ctx: CompileContext): string {
  if (key.keyId !== undefined) return key.keyId.toLowerCase();
  let pem: string;
  if (key.path !== undefined) {
    try {
      pem = ctx.readKeyFile(ctx.resolvePath(key.path));
    } catch (err) {
      ctx.issue('POLICY_BAD_KEY', [...at, 'path'], `key file ${key.path} not readable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return '';
    }
  } else pem = key.pem!;
  return keyIdOfPem(pem) ?? (ctx.issue('POLICY_BAD_KEY', [...at, key.path !== undefined ? 'path' : 'pem'], 'not a PEM public key'), '');
}

export function keyIdOfPem(pem: string): string | undefined {
  try {
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(der).digest('hex');
  } catch {
    return undefined;
  }
}
