import { readFileSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { loadCel } from './cel.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { ImagePolicyError, type ImagePolicyErrorCode, type ImagePolicyIssue } from './errors.js';
import { imagePolicySchema } from './schema.js';
import { PolicySet } from './set.js';

/**
 * Loads image policies: a file (one policy per YAML document, documents separated by `---`) or a
 * directory of `*.yaml`/`*.yml` files (not recursive, sorted by name). Checklist per document:
 * YAML syntax -> schema -> compile (regexes, keys, CEL); then across the set: unique names, known
 * and acyclic stages. Every problem of every file is collected, then thrown as one ImagePolicyError
 * whose code is the first problem's and whose issues carry file, line, column and YAML path.
 */
export async function loadPolicies(path: string): Promise<PolicySet> {
  const files = await policyFiles(path);
  const texts = await Promise.all(files.map(async (f) => ({ file: f, text: await readText(f) })));
  await loadCel();
  return buildPolicySet(texts);
}

/** Compiles already-read policy texts into a set (the loader's pure part). CEL conditions need `await loadCel()` first. */
export function buildPolicySet(texts: readonly { file: string; text: string }[]): PolicySet {
  const issues: { code: ImagePolicyErrorCode; issue: ImagePolicyIssue }[] = [];
  const compiled: CompiledPolicy[] = [];
  for (const { file, text } of texts) compiled.push(...parseFile(file, text, (code, issue) => issues.push({ code, issue })));
  if (issues.length === 0) checkSet(compiled, (code, issue) => issues.push({ code, issue }));
  if (issues.length > 0)
    throw new ImagePolicyError(
      issues[0]!.code,
      issues.map((i) => i.issue),
    );
  if (compiled.length === 0) throw new ImagePolicyError('POLICY_EMPTY', [{ file: texts[0]?.file ?? '(none)', path: '', message: 'no policy found' }]);
  return new PolicySet(
    compiled,
    texts.map((t) => t.file),
  );
}

type Report = (code: ImagePolicyErrorCode, issue: ImagePolicyIssue) => void;

function parseFile(file: string, text: string, report: Report): CompiledPolicy[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty file
  const out: CompiledPolicy[] = [];
  docs.forEach((doc, di) => {
    const prefix = docs.length > 1 ? [`#${di}`] : [];
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lines.linePos(e.pos[0]);
        report('POLICY_YAML_SYNTAX', { file, path: prefix.join('.'), message: `${e.code}: ${e.message.split('\n')[0]}`, line: pos.line, col: pos.col });
      }
      return;
    }
    if (doc.contents === null) return; // an empty document (a trailing ---)
    const locate = (p: (string | number)[]): Pick<ImagePolicyIssue, 'line' | 'col'> => {
      for (let q = p; ; q = q.slice(0, -1)) {
        const node = q.length === 0 ? doc.contents : doc.getIn(q, true);
        const range = (node as { range?: [number, number, number] } | null)?.range;
        if (range) return lines.linePos(range[0]);
        if (q.length === 0) return {};
      }
    };
    const at = (p: (string | number)[]) => [...prefix, ...p].join('.');
    const res = imagePolicySchema.safeParse(doc.toJS());
    if (!res.success) {
      for (const i of res.error.issues) {
        const base = i.path.map((k) => (typeof k === 'number' ? k : String(k)));
        const paths = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...base, k]) : [base];
        for (const p of paths)
          report('POLICY_INVALID', { file, path: at(p), message: i.code === 'unrecognized_keys' ? 'unknown key' : i.message, ...locate(p) });
      }
      return;
    }
    const policy = compilePolicy(res.data, {
      file,
      readKeyFile: (p) => readFileSync(p, 'utf8'),
      resolvePath: (p) => resolve(dirname(file), p),
      locate: (p) => ({ path: at(p), ...locate(p) }),
      issue: (code, p, message, offset) => {
        const pos = locate(p);
        // A CEL error's position is inside the expression: add it to the scalar's start (same line only).
        const line = pos.line !== undefined && offset ? pos.line + offset.line - 1 : pos.line;
        const col = pos.col !== undefined && offset ? (offset.line === 1 ? pos.col + offset.col - 1 : offset.col) : pos.col;
        report(code, { file, path: at(p), message, ...(line !== undefined ? { line, col } : {}) });
      },
    });
    out.push(policy);
  });
  return out;
}

function checkSet(policies: CompiledPolicy[], report: Report): void {
  const byName = new Map<string, CompiledPolicy>();
  for (const p of policies) {
    const prior = byName.get(p.name);
    if (prior) report('POLICY_DUPLICATE_NAME', { file: p.file, ...p.where.name, message: `policy name "${p.name}" is also used in ${prior.file}` });
    else byName.set(p.name, p);
  }
  for (const p of policies) {
    p.requires.forEach((r, i) => {
      if (!byName.has(r)) report('POLICY_UNKNOWN_STAGE', { file: p.file, ...p.where.requires[i]!, message: `requires unknown policy "${r}"` });
    });
  }
  // Depth-first search for a cycle among stages (production -> staging -> production).
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: CompiledPolicy, trail: string[]): void => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'visiting') {
      report('POLICY_STAGE_CYCLE', {
        file: p.file,
        ...(p.where.requires[0] ?? p.where.name),
        message: `stages form a cycle: ${[...trail, p.name].join(' -> ')}`,
      });
      return;
    }
    state.set(p.name, 'visiting');
    for (const r of p.requires) {
      const next = byName.get(r);
      if (next) visit(next, [...trail, p.name]);
    }
    state.set(p.name, 'done');
  };
  for (const p of policies) visit(p, []);
}

async function policyFiles(path: string): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw notReadable(path, err);
  }
  if (!isDir) return [path];
  const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort();
  return names.map((n) => join(path, n));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw notReadable(file, err);
  }
}

function notReadable(file: string, err: unknown): ImagePolicyError {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
  return new ImagePolicyError(missing ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE', [{ file, path: '', message: missing ? 'not found' : 'not readable' }], err);
}
