import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Bus, type ComponentContext, noopMetrics, silentLogger } from '../../core/index.js';
import { MemoryStateStore } from '../../core/testing/index.js';
import { ed25519NoteSigner, formatCheckpoint, parseVerifierKey, signNote, signNoteAsync, treeRoot } from '../../core/tlog/index.js';
import { createKeyProvider } from '../../keys/index.js';
import {
  AuditError,
  auditOrigin,
  createAuditSink,
  parseAuditConfig,
  readKeyHistory,
  signCheckpoint,
  SqliteAuditStore,
  verifyAuditTrail,
} from '../../sinks/audit/index.js';
import { sampleEntries } from '../../sinks/audit/testing/index.js';
import { main } from '../../daemon/cli/main.js';

/** The audit checkpoint key as the daemon wires it: the KeyProvider from keys/, file-backed. */
const bus = { kind: 'embedded', subscribe: async (o: { group: string }) => ({ group: o.group, pause() {}, resume() {}, async stop() {} }) } as unknown as Bus;
const ctx = (dataDir: string): ComponentContext => ({
  bus,
  state: new MemoryStateStore(),
  logger: silentLogger,
  metrics: noopMetrics,
  dataDir,
  keys: createKeyProvider(),
  fail: () => {},
  now: () => new Date(),
});

function sink(dataDir: string, config: Record<string, unknown> = {}) {
  return createAuditSink(parseAuditConfig({ instance: 'unit', ...config }), ctx(dataDir), new SqliteAuditStore({ path: join(dataDir, 'audit', 'audit.db') }));
}

/** `chainwatch audit ...` through the real dispatcher (config loading and KeyProvider included). */
async function cli(dataDir: string, argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const sinkTo = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const code = await main(['audit', ...argv, '--data-dir', dataDir], { stdout: sinkTo, stderr: sinkTo, stdin: process.stdin, env: {} });
  return { code, out };
}

describe('audit checkpoint key through the KeyProvider (daemon wiring)', () => {
  it('creates <dataDir>/audit/checkpoint-key.pem 0600 on first start, its vkey beside it, the same key on restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-key-'));
    const a = sink(dataDir);
    await a.start();
    const vkey = a.checkpointKey!.vkey;
    await a.stop();
    const keyFile = join(dataDir, 'audit', 'checkpoint-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readKeyHistory(join(dataDir, 'audit', 'checkpoint-key.vkey'))).toEqual([vkey]);
    expect(vkey).toMatch(/^chainwatch\.audit\/unit\+[0-9a-f]{8}\+/);
    const b = sink(dataDir);
    await b.start();
    expect(b.checkpointKey!.vkey).toBe(vkey);
    await b.stop();
  });

  it('refuses to start on a key readable by group/others (AUDIT_KEY_UNREADABLE) and does not tighten it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-key-'));
    const keyFile = join(dataDir, 'audit', 'checkpoint-key.pem');
    mkdirSync(join(dataDir, 'audit'), { mode: 0o700 });
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(keyFile, 0o640);
    const err = await sink(dataDir)
      .start()
      .then(
        () => expect.unreachable('an insecure key must be refused'),
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe('AUDIT_KEY_UNREADABLE');
    expect(statSync(keyFile).mode & 0o777).toBe(0o640);
  });

  it('signs with the key `audit.key` names instead of the default file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-key-'));
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'cw-audit-keyref-')), 'keys', 'audit.pem');
    const s = sink(dataDir, { key: { file: elsewhere } });
    await s.start();
    const vkey = s.checkpointKey!.vkey;
    await s.stop();
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'audit', 'checkpoint-key.pem'))).toBe(false);
    expect(readKeyHistory(join(dataDir, 'audit', 'checkpoint-key.vkey'))).toEqual([vkey]);
    expect(() => parseAuditConfig({ key: { file: '' } })).toThrow();
    expect(() => parseAuditConfig({ key: { pkcs11: {} } })).toThrow();
  });

  it('`audit verify` keeps verifying a trail signed before the Signer port (testdata/trail-v0), and `audit checkpoint` extends it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-v0-'));
    cpSync(join(import.meta.dirname, '..', '..', 'sinks', 'audit', 'testdata', 'trail-v0'), join(dataDir, 'audit'), { recursive: true });
    const verify = await cli(dataDir, ['verify']);
    expect(verify.out).toContain('audit trail intact: 38 records, 3 checkpoints');
    expect(verify.code).toBe(0);
    // The old key was thrown away. `audit checkpoint` never creates one (that would fork the
    // signatures silently): the operator provisions a new key, and the key history
    // (checkpoint-key.vkey, appended) verifies the checkpoints of both; the new key alone does not.
    const store = new SqliteAuditStore({ path: join(dataDir, 'audit', 'audit.db') });
    await store.open();
    await store.append(sampleEntries(1, 500));
    await store.close();
    const noKey = await cli(dataDir, ['checkpoint']);
    expect(noKey.code).toBe(1);
    expect(noKey.out).toMatch(/AUDIT_KEY_UNREADABLE/);
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dataDir, 'audit', 'checkpoint-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    expect((await cli(dataDir, ['checkpoint'])).out).toContain('signed checkpoint of size 39');
    const history = readKeyHistory(join(dataDir, 'audit', 'checkpoint-key.vkey'))!;
    expect(history).toHaveLength(2);
    const both = await cli(dataDir, ['verify']);
    expect(both.code, both.out).toBe(0);
    const newOnly = join(dataDir, 'new.vkey');
    writeFileSync(newOnly, `${history[1]}\n`);
    const after = await cli(dataDir, ['verify', '--json', '--vkey', newOnly]);
    expect(after.code).toBe(1);
    // out carries stderr too: the key-loss warning (the new key is unchained) precedes the report.
    expect(after.out).toMatch(/KEY_UNCHAINED: unchained key from size 39/);
    expect(JSON.parse(after.out.slice(after.out.indexOf('{')))).toMatchObject({ ok: false, problem: { code: 'CHECKPOINT_SIGNATURE_INVALID' } });
  });

  it('checkpoints signed by the old synchronous path and by the KeyProvider with one key file form one verifiable trail, byte for byte', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-mixed-'));
    const keyFile = join(dataDir, 'audit', 'checkpoint-key.pem');
    mkdirSync(join(dataDir, 'audit'), { mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    const origin = auditOrigin('unit');

    const store = new SqliteAuditStore({ path: join(dataDir, 'audit', 'audit.db') });
    await store.open();
    await store.append(sampleEntries(10));
    // What the previous code did: ed25519NoteSigner over the key file, signNote (synchronous).
    const root10 = await treeRoot(10, (ids) => store.nodes(ids));
    const oldText = formatCheckpoint({ origin, size: 10, rootHash: root10, extensions: [] });
    const oldNote = signNote(oldText, [ed25519NoteSigner(origin, privateKey)]);
    await store.putCheckpoint({ size: 10, rootHash: root10.toString('hex'), note: oldNote, createdAt: new Date().toISOString() });

    const s = sink(dataDir);
    await s.start();
    const key = s.checkpointKey!;
    await s.stop();
    await store.append(sampleEntries(5, 10));
    const cp = (await signCheckpoint(store, key, new Date()))!;
    expect(cp.size).toBe(15);
    expect(await verifyAuditTrail(store, parseVerifierKey(key.vkey))).toMatchObject({ ok: true, records: 15, checkpoints: 2 });
    // Same key, same text: the new path writes the very note the old one did.
    expect(await signNoteAsync(oldText, [key.signer])).toBe(oldNote);
    await store.close();
  });
});
