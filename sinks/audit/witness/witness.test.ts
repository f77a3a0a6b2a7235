import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyObjectSigner } from '../../../core/index.js';
import { invokeCommand } from '../../../core/testing/index.js';
import { formatNote, parseNote } from '../../../core/tlog/index.js';
import { type CheckpointKey, checkpointKeyFrom, signCheckpoint, VKEY_FILE } from '../checkpoint.js';
import { auditCommands } from '../commands.js';
import { auditConfigSchema } from '../config.js';
import { AuditError } from '../errors.js';
import { SqliteAuditStore } from '../sqlite.js';
import { sampleEntries } from '../testing/contract.js';
import { verifyAuditTrail } from '../verify.js';
import { WitnessError } from './errors.js';
import { CheckpointWitness } from './witness.js';

/**
 * Witness cosignatures (c2sp.org/tlog-cosignature) over audit checkpoints: what the witness
 * refuses, and what `audit verify --witness-key` rejects, above all a history rewritten and
 * re-signed with the local checkpoint key alone.
 */
const ORIGIN = 'chainwatch.audit/test';
const newKey = (): CheckpointKey => checkpointKeyFrom(ORIGIN, keyObjectSigner(generateKeyPairSync('ed25519').privateKey));
const section = auditConfigSchema.parse({ instance: 'test' });
const verifyCmd = auditCommands().find((c) => c.name === 'audit verify')!;

function newWitness(key: CheckpointKey, statePath: string, signer = keyObjectSigner(generateKeyPairSync('ed25519').privateKey)) {
  return new CheckpointWitness({ name: 'witness.example/w1', signer, statePath, logVerifiers: [key.verifier] });
}

/** A data dir with `n` records checkpointed every 50 by `key`, each checkpoint cosigned by the witness. */
async function witnessedTrail(n = 200) {
  const dir = mkdtempSync(join(tmpdir(), 'cw-witness-'));
  mkdirSync(join(dir, 'audit'));
  const key = newKey();
  writeFileSync(join(dir, 'audit', VKEY_FILE), `${key.vkey}\n`);
  const witnessDir = mkdtempSync(join(tmpdir(), 'cw-witness-state-'));
  const witness = newWitness(key, join(witnessDir, 'state.json'));
  const witnessed: CheckpointKey = { ...key, witnesses: [witness] };
  const db = join(dir, 'audit', 'audit.db');
  const s = new SqliteAuditStore({ path: db });
  await s.open();
  for (let at = 0; at < n; at += 50) {
    await s.append(sampleEntries(50, at));
    await signCheckpoint(s, witnessed, new Date());
  }
  await s.close();
  const wkey = join(witnessDir, 'witness.vkey');
  writeFileSync(wkey, `${witness.vkey}\n`);
  const open = async () => {
    const r = new SqliteAuditStore({ path: db });
    await r.open();
    return r;
  };
  return { dir, db, key, witness, wkey, open, statePath: join(witnessDir, 'state.json') };
}

describe('witness cosignatures over audit checkpoints', () => {
  it('every checkpoint carries the cosignature; verify with the witness key passes; the state remembers the latest', async () => {
    const t = await witnessedTrail();
    const s = await t.open();
    try {
      const notes = (await s.listCheckpoints()).map((c) => c.note);
      expect(notes.map((n) => parseNote(n).signatures.map((sig) => sig.name))).toEqual(Array(4).fill([ORIGIN, 'witness.example/w1']));
      const r = await verifyAuditTrail(s, t.key.verifier, { witnesses: { verifiers: [t.witness.verifier], threshold: 1 } });
      expect(r).toMatchObject({ ok: true, verdict: 'intact', records: 200, checkpoints: 4 });
    } finally {
      await s.close();
    }
    expect(JSON.parse(readFileSync(t.statePath, 'utf8'))).toMatchObject({ version: 1, logs: { [ORIGIN]: { size: 200 } } });
    const ok = await invokeCommand(verifyCmd, ['--witness-key', t.wkey], { section, dataDir: t.dir });
    expect(ok.code, ok.out + ok.err).toBe(0);
  });

  it('a tampered history re-signed with the local key alone: verify passes without the witness, fails WITNESS_MISSING (exit 1) with it; the witness refuses to cosign it', async () => {
    const t = await witnessedTrail();
    // The attacker holds the local key and the data directory: writes the history again with one
    // record changed (a fresh store computes every node) and signs it at the same sizes.
    rmSync(t.db);
    for (const suffix of ['-wal', '-shm']) rmSync(t.db + suffix, { force: true });
    const s = await t.open();
    try {
      for (let at = 0; at < 200; at += 50) {
        const batch = sampleEntries(50, at);
        if (at === 0) batch[7] = { ...batch[7]!, payload: { forged: true } };
        await s.append(batch);
        await signCheckpoint(s, t.key, new Date());
      }
      expect(await verifyAuditTrail(s, t.key.verifier)).toMatchObject({ ok: true, verdict: 'intact' });
      const r = await verifyAuditTrail(s, t.key.verifier, { witnesses: { verifiers: [t.witness.verifier], threshold: 1 } });
      expect(r).toMatchObject({ ok: false, verdict: 'broken', problem: { code: 'WITNESS_MISSING', checkpointSize: 200 } });
      // Asked to cosign the rewritten head, the witness (same state file, new process) refuses.
      const latest = (await s.listCheckpoints()).at(-1)!.note;
      const again = newWitness(t.key, t.statePath);
      await expect(again.cosign(latest, async () => [])).rejects.toMatchObject({ constructor: WitnessError, code: 'WITNESS_CONFLICT' });
    } finally {
      await s.close();
    }
    const cli = await invokeCommand(verifyCmd, ['--witness-key', t.wkey, '--json'], { section, dataDir: t.dir });
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.out)).toMatchObject({ verdict: 'broken', problem: { code: 'WITNESS_MISSING' } });
    expect((await invokeCommand(verifyCmd, [], { section, dataDir: t.dir })).code).toBe(0);
  });

  it('refuses a checkpoint not consistent with the one it cosigned (a fork), one by an unknown log key, and a rollback', async () => {
    const t = await witnessedTrail(100);
    const s = await t.open();
    try {
      const latest = (await s.listCheckpoints()).at(-1)!.note;
      const w = newWitness(t.key, t.statePath);
      // A fork: another trail's checkpoint of size 150 under the same key, with a proof from that other tree.
      const other = new SqliteAuditStore({ path: join(mkdtempSync(join(tmpdir(), 'cw-fork-')), 'a.db') });
      await other.open();
      await other.append(sampleEntries(150, 1000));
      const forked = (await signCheckpoint(other, t.key, new Date()))!.note;
      const { consistencyProof } = await import('../../../core/tlog/index.js');
      await expect(w.cosign(forked, (a, b) => consistencyProof(a, b, (ids) => other.nodes(ids)))).rejects.toMatchObject({ code: 'WITNESS_PROOF_INVALID' });
      await other.close();
      await expect(newWitness(newKey(), t.statePath).cosign(latest, async () => [])).rejects.toMatchObject({ code: 'WITNESS_UNKNOWN_LOG' });
      const first = (await s.listCheckpoints())[0]!.note;
      await expect(w.cosign(first, async () => [])).rejects.toMatchObject({ code: 'WITNESS_CONFLICT' });
      // The same head again is idempotent: cosigned once more, replacing its own line, state unchanged.
      expect(parseNote(await t.witness.cosign(latest, async () => [])).signatures).toHaveLength(2);
      expect(parseNote(await w.cosign(latest, async () => [])).signatures).toHaveLength(3);
    } finally {
      await s.close();
    }
  });

  it('a forged cosignature line of a required witness is WITNESS_COSIGNATURE_INVALID; threshold and key checks are usage errors', async () => {
    const t = await witnessedTrail(50);
    const s = await t.open();
    try {
      const note = parseNote((await s.listCheckpoints())[0]!.note);
      const bad = note.signatures.map((sig) => (sig.name === 'witness.example/w1' ? { ...sig, sig: Buffer.alloc(sig.sig.length, 1) } : sig));
      const r = await verifyAuditTrail(s, t.key.verifier, {
        extraCheckpoints: [formatNote({ text: note.text, signatures: bad })],
        witnesses: { verifiers: [t.witness.verifier], threshold: 1 },
      });
      expect(r.problem).toMatchObject({ code: 'WITNESS_COSIGNATURE_INVALID', checkpointSize: 50 });
    } finally {
      await s.close();
    }
    const run = (argv: string[]) => invokeCommand(verifyCmd, argv, { section, dataDir: t.dir });
    expect((await run(['--witness-key', t.wkey, '--witness-threshold', '2'])).code).toBe(2);
    expect((await run(['--witness-threshold', '1'])).code).toBe(2);
    // The checkpoint key offered as a witness key (same Ed25519 key, cosignature type): refused.
    const { formatVerifierKey } = await import('../../../core/tlog/index.js');
    const pub = parseVerifierKeyMaterial(t.key.vkey);
    const self = join(t.dir, 'self.vkey');
    writeFileSync(self, `${formatVerifierKey('w', 'cosignature-v1', pub)}\n`);
    const refused = await run(['--witness-key', self]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/AUDIT_USAGE/);
  });

  it('a witness refuses to be the checkpoint key, and keys that are not Ed25519', async () => {
    const { attachWitness } = await import('./open.js');
    const priv = generateKeyPairSync('ed25519').privateKey;
    const key = checkpointKeyFrom(ORIGIN, keyObjectSigner(priv));
    const keys = { open: async () => keyObjectSigner(priv) };
    const err = await attachWitness(key, { key: { file: '/unused' }, state: join(tmpdir(), 'unused.json') }, 'test', keys, { create: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).cause).toMatchObject({ code: 'WITNESS_KEY_UNSUITABLE' });
    expect(() => newWitness(key, '/unused', keyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).toThrow(
      expect.objectContaining({ code: 'WITNESS_KEY_UNSUITABLE' }),
    );
  });
});

/** The raw Ed25519 key of an Ed25519 vkey. */
function parseVerifierKeyMaterial(vkey: string): Buffer {
  // Names and hex hold no '+', base64 can: the key is everything after the second one.
  const second = vkey.indexOf('+', vkey.indexOf('+') + 1);
  return Buffer.from(vkey.slice(second + 1), 'base64').subarray(1);
}
