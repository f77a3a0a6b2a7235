import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  type CommandSpec,
  describeError,
  EXIT,
  type KeyRevoked,
  KeyRevokedEvent,
  keyRevokedSchema,
  makeEvent,
  revocationSubject,
  UsageError,
} from '../../core/index.js';
import type { KeyMisuseConfig } from './config.js';
import { REVOCATION_PREFIX } from './state.js';

/**
 * `chainwatch keys revoke KEYID | --identity ISSUER SUBJECT --at TIME --reason TEXT`: publishes
 * keys.revoked.v1 onto the configured daemon's bus (the detector records it and pages on every
 * later use). `chainwatch keys revocations`: what the detector has recorded (its state).
 */
const HEX64 = /^[0-9a-f]{64}$/;

/** A keyId, or the path of a PEM public key or certificate whose SPKI is hashed into one. */
export function keyIdOf(arg: string): string {
  if (HEX64.test(arg.toLowerCase())) return arg.toLowerCase();
  if (!existsSync(arg))
    throw new UsageError(`KEYID must be 64 hex characters (SHA-256 of the DER SubjectPublicKeyInfo) or a PEM file, got ${JSON.stringify(arg)}`);
  const pem = readFileSync(arg, 'utf8');
  try {
    const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex');
  } catch (err) {
    throw new UsageError(`${arg}: not a PEM public key or certificate (${describeError(err).message})`);
  }
}

export const keysRevokeCommand: CommandSpec<KeyMisuseConfig | undefined> = {
  name: 'keys revoke',
  summary: 'Revoke a signing key or identity as of a time: publishes keys.revoked.v1 to the daemon',
  args: [
    { name: 'KEYID', description: 'keyId (hex SHA-256 of the DER SPKI) or a PEM public key/certificate file; with --identity: ISSUER SUBJECT', variadic: true },
  ],
  options: {
    identity: { type: 'boolean', description: 'revoke an OIDC identity: the arguments are ISSUER and SUBJECT (certificate SAN)' },
    at: { type: 'string', placeholder: 'TIME', description: 'RFC 3339 time the revocation takes effect (default: now)' },
    reason: { type: 'string', placeholder: 'TEXT', description: 'why (required)' },
    actor: { type: 'string', placeholder: 'NAME', description: 'who revokes (default: $USER)' },
  },
  json: true,
  config: true,
  description: `Signatures made at or after TIME are critical key.revoked_use findings, including ones
the detector saw before the revocation arrived (docs/key-misuse.md). Exit 0 published, 2 bad
arguments, 3 the bus was unavailable.`,
  async run(inv) {
    const reason = inv.options.reason as string | undefined;
    if (!reason) throw new UsageError('--reason is required');
    const at = (inv.options.at as string | undefined) ?? inv.now().toISOString();
    if (Number.isNaN(Date.parse(at))) throw new UsageError(`--at must be an RFC 3339 time, got ${JSON.stringify(at)}`);
    const actor = (inv.options.actor as string | undefined) ?? inv.io.env.USER ?? 'cli';
    const args = inv.args;
    const common = { revokedAt: new Date(at).toISOString(), reason, actor, origin: 'cli' as const };
    let draft: unknown;
    if (inv.options.identity === true) {
      if (args.length !== 2) throw new UsageError('--identity takes two arguments: ISSUER SUBJECT');
      draft = { kind: 'identity', issuer: args[0], subject: args[1], ...common };
    } else {
      if (args.length !== 1) throw new UsageError('give one KEYID (or --identity ISSUER SUBJECT)');
      draft = { kind: 'key', keyId: keyIdOf(args[0]!), ...common };
    }
    const parsed = keyRevokedSchema.safeParse(draft);
    if (!parsed.success) throw new UsageError(`invalid revocation: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const r: KeyRevoked = parsed.data;
    const event = makeEvent({ type: KeyRevokedEvent.type, source: 'chainwatch://cli/keys', subject: revocationSubject(r), data: r });
    const bus = await inv.openBus();
    try {
      await bus.publish(event);
    } catch (err) {
      const { code, message } = describeError(err);
      inv.io.err(`not published: ${code}: ${message}`);
      return EXIT.aborted;
    } finally {
      await bus.stop();
    }
    if (inv.json) inv.io.out(JSON.stringify({ id: event.id, subject: event.subject, revocation: r }));
    else inv.io.out(`revoked ${revocationSubject(r)} as of ${r.revokedAt} (event ${event.id})`);
    return EXIT.ok;
  },
};

export const keysRevocationsCommand: CommandSpec<KeyMisuseConfig | undefined> = {
  name: 'keys revocations',
  summary: 'List the revocations the key-misuse detector has recorded',
  json: true,
  config: true,
  description: 'Reads the detector state in the bus database (embedded bus). Exit 1 when the bus keeps no state (Kafka: see docs/key-misuse.md).',
  async run(inv) {
    const bus = await inv.openBus();
    const store = bus.stateStore?.();
    try {
      if (!store) {
        inv.io.err(`the ${bus.kind} bus keeps no detector state readable here`);
        return EXIT.failed;
      }
      const rows: KeyRevoked[] = [];
      for (const k of await store.list(REVOCATION_PREFIX)) {
        const r = await store.get<KeyRevoked>(k);
        if (r) rows.push(r);
      }
      rows.sort((a, b) => Date.parse(a.revokedAt) - Date.parse(b.revokedAt));
      if (inv.json) inv.io.out(JSON.stringify({ revocations: rows }));
      else if (rows.length === 0) inv.io.out('no revocations');
      else for (const r of rows) inv.io.out(`${r.revokedAt}  ${revocationSubject(r)}  by ${r.actor}: ${r.reason}`);
      return EXIT.ok;
    } finally {
      store?.close();
      await bus.stop();
    }
  },
};
