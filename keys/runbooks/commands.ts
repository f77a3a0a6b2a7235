import { randomBytes } from 'node:crypto';
import {
  type CommandSpec,
  describeError,
  EXIT,
  type Invocation,
  type KeyRef,
  makeEvent,
  parseDuration,
  RunbookApprovalEvent,
  type RunbookRequested,
  RunbookRequestedEvent,
  Secret,
  UsageError,
} from '../../core/index.js';
import { signApproval } from './approvals.js';
import type { RunbooksConfig } from './config.js';
import { bindParameters, loadRunbook, resolveStep } from './definition.js';
import { getRun, type RunState } from './state.js';

/**
 * `chainwatch runbook run NAME --key KEYID --reason TEXT [--dry-run]`, `runbook approve RUN --key
 * FILE|pkcs11:URI`, `runbook status RUN`. Runs execute in the daemon (runner.ts); these commands
 * put requests and approvals on its bus and read the run records from its state store.
 */
type Inv = Invocation<RunbooksConfig | undefined>;

function needSection(inv: Inv): RunbooksConfig {
  if (!inv.section) throw new UsageError('keys.runbooks is not configured (dir, approvers, hsm): see docs/runbooks.md');
  return inv.section;
}

export const runbookRunCommand: CommandSpec<RunbooksConfig | undefined> = {
  name: 'runbook run',
  summary: 'Start a runbook in the daemon (revoke-key, rotate-key), or --dry-run to print its steps',
  args: [{ name: 'RUNBOOK', description: 'runbook name (a <name>.yaml in keys.runbooks.dir)' }],
  options: {
    key: { type: 'string', placeholder: 'KEYID', description: 'the key the runbook acts on (parameter "key")' },
    reason: { type: 'string', placeholder: 'TEXT', description: 'why (parameter "reason")' },
    param: { type: 'string', multiple: true, placeholder: 'NAME=VALUE', description: 'another runbook parameter' },
    'run-id': { type: 'string', placeholder: 'ID', description: 'run id (default: random)' },
    'dry-run': { type: 'boolean', description: 'validate and print every step with its parameters; change nothing' },
    actor: { type: 'string', placeholder: 'NAME', description: 'who asks (default: $USER)' },
  },
  json: true,
  config: true,
  description: 'Exit 0 requested (or dry-run printed), 2 a bad runbook or parameters (coded: RUNBOOK_*), 3 the bus was unavailable.',
  async run(inv) {
    const cfg = needSection(inv);
    const name = inv.args[0]!;
    const given: Record<string, string> = {};
    if (inv.options.key) given.key = String(inv.options.key).toLowerCase();
    if (inv.options.reason) given.reason = String(inv.options.reason);
    for (const p of (inv.options.param as string[] | undefined) ?? []) {
      const eq = p.indexOf('=');
      if (eq < 1) throw new UsageError(`--param takes NAME=VALUE, got ${JSON.stringify(p)}`);
      given[p.slice(0, eq)] = p.slice(eq + 1);
    }
    let parameters: Record<string, string>;
    let rb;
    try {
      rb = loadRunbook(cfg.dir, name);
      parameters = bindParameters(rb, given);
    } catch (err) {
      const { code, message } = describeError(err);
      inv.io.err(`chainwatch runbook run: ${code}: ${message}`);
      return EXIT.usage;
    }
    const runId = (inv.options['run-id'] as string | undefined) ?? `${name}-${inv.now().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
    if (inv.options['dry-run'] === true) {
      const steps = rb.steps.map((s) => resolveStep(s, parameters));
      if (inv.json) inv.io.out(JSON.stringify({ dryRun: true, runId, runbook: name, parameters, steps }));
      else {
        inv.io.out(`dry run of ${name} (${runId}): nothing is changed`);
        for (const [i, s] of steps.entries())
          inv.io.out(`${i + 1}. ${s.id} [${s.type}] ${JSON.stringify(s.with)}${s.after.length ? ` after ${s.after.join(', ')}` : ''}`);
      }
      return EXIT.ok;
    }
    const request: RunbookRequested = {
      runId,
      runbook: name,
      parameters,
      requestedBy: (inv.options.actor as string | undefined) ?? inv.io.env.USER ?? 'cli',
      origin: 'cli',
    };
    const event = makeEvent({ type: RunbookRequestedEvent.type, source: 'chainwatch://cli/runbook', subject: `runbook:${runId}`, data: request });
    const bus = await inv.openBus();
    try {
      await bus.publish(event);
    } catch (err) {
      const { code, message } = describeError(err);
      inv.io.err(`not requested: ${code}: ${message}`);
      return EXIT.aborted;
    } finally {
      await bus.stop();
    }
    if (inv.json) inv.io.out(JSON.stringify({ runId, runbook: name, parameters, eventId: event.id }));
    else inv.io.out(`requested ${name} run ${runId} (event ${event.id}); approve with: chainwatch runbook approve ${runId} --key FILE|pkcs11:...`);
    return EXIT.ok;
  },
};

/** `--key FILE` or `--key pkcs11:...` with the PIN in the variable --pin-env names (never on the command line). */
function approverKeyRef(inv: Inv): KeyRef {
  const key = inv.options.key as string | undefined;
  if (!key) throw new UsageError('--key FILE|pkcs11:URI is required');
  if (!key.startsWith('pkcs11:')) return { file: key };
  const pinEnv = inv.options['pin-env'] as string | undefined;
  if (!pinEnv) throw new UsageError('a pkcs11: key needs --pin-env VAR, the environment variable holding the token PIN');
  const pin = inv.io.env[pinEnv];
  if (!pin) throw new UsageError(`the PKCS#11 PIN is read from $${pinEnv}, which is not set`);
  const module = inv.options.module as string | undefined;
  return { pkcs11: { uri: key, pin: new Secret(pin), sessions: 1, ...(module ? { module } : {}) } };
}

async function readRun(inv: Inv, runId: string): Promise<RunState | undefined> {
  const bus = await inv.openBus();
  const store = inv.openState(bus);
  try {
    return await getRun(store, runId);
  } finally {
    store.close();
    await bus.stop();
  }
}

export const runbookApproveCommand: CommandSpec<RunbooksConfig | undefined> = {
  name: 'runbook approve',
  summary: "Approve a run: sign its id, runbook and parameters with the approver's own key",
  args: [{ name: 'RUN', description: 'run id' }],
  options: {
    key: { type: 'string', placeholder: 'FILE|pkcs11:URI', description: "the approver's private key (PKCS#8 file, or a PKCS#11 URI)" },
    module: { type: 'string', placeholder: 'PATH', description: 'PKCS#11 library for a pkcs11: key without module-path' },
    'pin-env': { type: 'string', placeholder: 'VAR', description: 'environment variable holding the token PIN (pkcs11: keys)' },
    expires: { type: 'string', placeholder: 'DURATION', description: 'how long the approval counts (default 1h)' },
  },
  json: true,
  config: true,
  description: 'Exit 0 approval published, 1 no such run, 2 bad arguments or key, 3 the bus was unavailable.',
  async run(inv) {
    needSection(inv);
    const runId = inv.args[0]!;
    const ttl = parseDuration((inv.options.expires as string | undefined) ?? '1h');
    if (ttl === undefined || ttl <= 0) throw new UsageError('--expires must be a positive duration such as 30m');
    const run = await readRun(inv, runId);
    if (!run) {
      inv.io.err(`chainwatch runbook approve: RUN_NOT_FOUND: the daemon has no run ${runId} (yet)`);
      return EXIT.failed;
    }
    let signer;
    try {
      signer = await inv.keys.open(approverKeyRef(inv));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const { code, message } = describeError(err);
      inv.io.err(`chainwatch runbook approve: ${code}: ${message}`);
      return EXIT.usage;
    }
    const approval = await signApproval(signer, run, new Date(inv.now().getTime() + ttl)).finally(() => signer.close?.());
    const event = makeEvent({ type: RunbookApprovalEvent.type, source: 'chainwatch://cli/runbook', subject: `runbook:${runId}`, data: approval });
    const bus = await inv.openBus();
    try {
      await bus.publish(event);
    } catch (err) {
      const { code, message } = describeError(err);
      inv.io.err(`not approved: ${code}: ${message}`);
      return EXIT.aborted;
    } finally {
      await bus.stop();
    }
    if (inv.json) inv.io.out(JSON.stringify({ runId, approverKeyId: approval.approverKeyId, expiresAt: approval.expiresAt, eventId: event.id }));
    else inv.io.out(`approved run ${runId} as ${approval.approverKeyId} until ${approval.expiresAt}`);
    return EXIT.ok;
  },
};

export const runbookStatusCommand: CommandSpec<RunbooksConfig | undefined> = {
  name: 'runbook status',
  summary: "A run's state and every step's outcome",
  args: [{ name: 'RUN', description: 'run id' }],
  json: true,
  config: true,
  description: 'Exit 0 found, 1 no such run.',
  async run(inv) {
    const run = await readRun(inv, inv.args[0]!);
    if (!run) {
      inv.io.err(`chainwatch runbook status: RUN_NOT_FOUND: no run ${inv.args[0]}`);
      return EXIT.failed;
    }
    if (inv.json) {
      inv.io.out(JSON.stringify(run));
      return EXIT.ok;
    }
    inv.io.out(`${run.runId}  ${run.runbook}  ${run.status}${run.error ? `  ${run.error.code}: ${run.error.message}` : ''}`);
    for (const [id, s] of Object.entries(run.steps))
      inv.io.out(
        `  ${id.padEnd(16)} ${s.type.padEnd(18)} ${s.status}${s.alreadyApplied ? ' (already applied)' : ''}${s.error ? `  ${s.error.code}: ${s.error.message}` : ''}`,
      );
    return EXIT.ok;
  },
};
