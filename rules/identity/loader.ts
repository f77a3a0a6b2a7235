import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { resolveExtensionKey } from './fulcio.js';
import { PolicyError, type PolicyIssue } from './errors.js';
import { type IdentityPolicy, identityPolicySchema } from './schema.js';

/**
 * Loads an identity policy: read -> YAML syntax -> schema -> semantic checks (patterns compile,
 * extension names known, names unique). Each step throws a PolicyError with its own code and the
 * path (and line) of every bad key. The only I/O is reading the file, through `read`.
 */
export type ReadText = (path: string) => Promise<string>;

export async function loadIdentityPolicyFile(path: string, read: ReadText = (p) => readFile(p, 'utf8')): Promise<IdentityPolicy> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE';
    throw new PolicyError(code, path, [{ path: '', message: code === 'POLICY_NOT_FOUND' ? 'file not found' : 'file not readable' }], err);
  }
  return parseIdentityPolicy(text, path);
}

export function parseIdentityPolicy(text: string, file = '<inline>'): IdentityPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      'POLICY_YAML_SYNTAX',
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `${e.code}: ${e.message.split('\n')[0]}`,
        ...(e.linePos ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
      })),
    );
  }
  const locate: Locate = (path) => {
    // Walk up until a node exists (a missing key is reported at its parent).
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) return lines.linePos(range[0]);
      if (p.length === 0) return {};
    }
  };
  return validateIdentityPolicy(doc.toJS(), file, locate);
}

/**
 * Validates an already-parsed policy (YAML or an object embedded in the daemon config): schema,
 * then semantics. `locate` maps a path to a line/column when there is a source text.
 */
export function validateIdentityPolicy(value: unknown, file = '<inline>', locate: Locate = () => ({})): IdentityPolicy {
  const res = identityPolicySchema.safeParse(value);
  if (!res.success) {
    const issues = res.error.issues.flatMap((i) => {
      const base = i.path.map((k) => (typeof k === 'number' ? k : String(k)));
      // Unknown keys: report each key's own path, which is what the operator must delete.
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...base, k]) : [base];
      return keys.map((p) => ({ path: p.join('.'), message: i.code === 'unrecognized_keys' ? 'unknown key' : i.message, ...locate(p) }));
    });
    throw new PolicyError('POLICY_INVALID', file, issues);
  }
  checkSemantics(res.data, file, locate);
  return res.data;
}

type Locate = (path: (string | number)[]) => Pick<PolicyIssue, 'line' | 'col'>;

function checkSemantics(policy: IdentityPolicy, file: string, locate: Locate): void {
  const bad: PolicyIssue[] = [];
  const regex = (value: string, path: (string | number)[]) => {
    try {
      new RegExp(value, 'u');
    } catch (err) {
      bad.push({ path: path.join('.'), message: `not a valid regular expression: ${(err as Error).message}`, ...locate(path) });
    }
  };
  const extKey = (key: string, path: (string | number)[]) => {
    if (resolveExtensionKey(key) === undefined) bad.push({ path: path.join('.'), message: `unknown Fulcio extension name or OID "${key}"`, ...locate(path) });
  };
  policy.watches.forEach((w, wi) => {
    const m = w.match;
    m.certIdentities?.forEach((c, ci) => {
      regex(c.certSubject, ['watches', wi, 'match', 'certIdentities', ci, 'certSubject']);
      c.issuers?.forEach((iss, ii) => regex(iss, ['watches', wi, 'match', 'certIdentities', ci, 'issuers', ii]));
    });
    m.subjects?.forEach((s, si) => regex(s, ['watches', wi, 'match', 'subjects', si]));
    Object.keys(m.fulcioExtensions ?? {}).forEach((k) => extKey(k, ['watches', wi, 'match', 'fulcioExtensions', k]));
    w.expected.forEach((e, ei) => Object.keys(e.extensions ?? {}).forEach((k) => extKey(k, ['watches', wi, 'expected', ei, 'extensions', k])));
  });
  if (bad.length > 0) throw new PolicyError('POLICY_BAD_PATTERN', file, bad);

  const dupes: PolicyIssue[] = [];
  const seen = new Set<string>();
  policy.watches.forEach((w, wi) => {
    if (seen.has(w.name))
      dupes.push({ path: `watches.${wi}.name`, message: `watch name "${w.name}" used twice (names key findings)`, ...locate(['watches', wi, 'name']) });
    seen.add(w.name);
  });
  if (dupes.length > 0) throw new PolicyError('POLICY_DUPLICATE_NAME', file, dupes);
}
