import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditStore } from './port.js';

/**
 * Operator actions (an analyst's note, an acknowledgement, a config change) are audit records
 * like any event: same tree, same proofs. `identity` names who acted.
 */
export interface OperatorAction {
  /** Who: e.g. "alice@host" as resolved by the CLI / daemon. */
  actor: string;
  /** What, one word: "note", "ack", "silence"... Becomes type `operator.<action>`. */
  action: string;
  text?: string;
  subject?: string;
  details?: Record<string, unknown>;
  time?: Date;
}

export async function appendOperatorAction(store: AuditStore, a: OperatorAction): Promise<AuditRecord> {
  const at = (a.time ?? new Date()).toISOString();
  const id = `op-${randomUUID()}`;
  const [record] = await store.append([
    {
      kind: 'operator',
      id,
      type: `operator.${a.action}`,
      time: at,
      identity: a.actor,
      ...(a.subject ? { subject: a.subject } : {}),
      ...(a.subject && /^(sha256|sha384|sha512):[0-9a-f]{32,128}$/.test(a.subject) ? { digest: a.subject } : {}),
      payload: {
        action: a.action,
        actor: a.actor,
        at,
        ...(a.text !== undefined ? { text: a.text } : {}),
        ...(a.subject ? { subject: a.subject } : {}),
        ...(a.details ? { details: a.details } : {}),
      },
    },
  ]);
  return record!;
}
