import { SEVERITIES, severityRank } from '../../core/index.js';
import type { AuditQuery } from './port.js';
import { searchKey } from './sqlite-schema.js';

/**
 * The SELECT an AuditQuery becomes (the store appends `limit + 1` as the last argument, to see
 * whether there is a next page). Value filters go through their search keys, so the indexes over
 * them are used (sqlite-schema.ts).
 */
export function querySql(q: AuditQuery): { sql: string; args: unknown[]; limit: number } {
  // Rows outside [0, size) are not part of the log (verify reports them): never served.
  const where: string[] = ['f.idx >= 0'];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown): void => {
    where.push(sql);
    args.push(v);
  };
  const desc = q.order === 'desc';
  if (q.since) add('f.time >= ?', q.since);
  if (q.until) add('f.time < ?', q.until);
  if (q.subject) {
    where.push('f.subject_key = ? AND f.subject = ?');
    args.push(searchKey(q.subject), q.subject);
  }
  if (q.digest) {
    // Both branches are index-backed: the subject key when digest = subject, the digest key otherwise.
    where.push('((f.subject_key = ? AND f.subject = ? AND f.digest = f.subject) OR (f.digest_key = ? AND f.digest = ?))');
    args.push(searchKey(q.digest), q.digest, searchKey(q.digest), q.digest);
  }
  if (q.identity) {
    where.push('f.identity_key = ? AND f.identity = ?');
    args.push(searchKey(q.identity), q.identity);
  }
  if (q.kind) add('f.kind = ?', q.kind);
  if (q.type?.endsWith('*')) add("f.type LIKE ? ESCAPE '\\'", `${escapeLike(q.type.slice(0, -1))}%`);
  else if (q.type) add('f.type = ?', q.type);
  if (q.severity) {
    const atLeast = SEVERITIES.slice(severityRank(q.severity));
    where.push(`f.severity IN (${atLeast.map(() => '?').join(', ')})`);
    args.push(...atLeast);
  }
  if (q.after !== undefined) add(desc ? 'f.idx < ?' : 'f.idx > ?', q.after);
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 10_000);
  const sql = `SELECT r.body FROM audit_fields f JOIN audit_records r ON r.idx = f.idx WHERE ${where.join(' AND ')} ORDER BY f.idx ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
  return { sql, args, limit };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
