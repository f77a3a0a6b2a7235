import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyObjectSigner } from '../../core/index.js';
import { invokeCommand } from '../../core/testing/index.js';
import { checkpointKeyFrom, signCheckpoint, VKEY_FILE } from './checkpoint.js';
import { auditCommands } from './commands.js';
import { auditConfigSchema } from './config.js';
import { auditModule } from './module.js';
import { SqliteAuditStore } from './sqlite.js';
import { sampleEntries } from './testing/contract.js';
import { sqliteTamperer } from './testing/sqlite-tamper.js';

const section = auditConfigSchema.parse({ instance: 'test', checkpointEvery: 100, maxBatch: 10 });
const newKey = () => checkpointKeyFrom('chainwatch.audit/test', keyObjectSigner(generateKeyPairSync('ed25519').privateKey));
const cmd = (name: string) => auditCommands().find((c) => c.name === `audit ${name}`)!;
const run = (name: string, argv: string[], dataDir: string) => invokeCommand(cmd(name), argv, { section, dataDir });

/** A data dir with a trail of `n` records (ids ev-0.. plus one whose id is "1"), signed every 50, and its vkey. */
async function dataDir(n = 120, key = newKey()) {
  const dir = mkdtempSync(join(tmpdir(), 'cw-audit-cmd-'));
  mkdirSync(join(dir, 'audit'));
  writeFileSync(join(dir, 'audit', VKEY_FILE), `${key.vkey}\n`);
  const s = new SqliteAuditStore({ path: join(dir, 'audit', 'audit.db') });
  await s.open();
  await s.append([{ ...sampleEntries(1)[0]!, id: '1' }]);
  for (let at = 1; at < n; at += 10) {
    await s.append(sampleEntries(10, at));
    if ((await s.size()) % 50 === 1) await signCheckpoint(s, key, new Date());
  }
  await signCheckpoint(s, key, new Date());
  await s.close();
  return { dir, key, db: join(dir, 'audit', 'audit.db') };
}

describe('audit commands', () => {
  it('audit proof: an all-digit argument is an id; positions take --index', async () => {
    const { dir } = await dataDir();
    const byId = await run('proof', ['1'], dir);
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.out)).toMatchObject({ record: { id: '1' }, index: 0 });
    const byIndex = await run('proof', ['--index', '1'], dir);
    expect(JSON.parse(byIndex.out)).toMatchObject({ record: { id: 'ev-1' }, index: 1 });
    expect((await run('proof', [], dir)).code).toBe(2);
    expect((await run('proof', ['ev-1', '--index', '1'], dir)).code).toBe(2);
    expect((await run('proof', ['--index', '-1'], dir)).code).toBe(2);
  });

  it('GET /audit/records/:id serves ids (all digits too); ?index=N positions; bad or outside positions are 400/404', async () => {
    const { dir } = await dataDir();
    const routes = auditModule.routes!(section, { dataDir: dir, instance: 'test', publicUrl: undefined, facts: {} });
    const call = (path: string, params: Record<string, string>, query = '') =>
      routes
        .find((r) => r.path === path)!
        .handler({
          method: 'GET',
          params,
          query: new URLSearchParams(query),
          headers: {},
          body: undefined,
          principal: { id: 'anonymous', roles: [] },
          signal: new AbortController().signal,
        });
    expect((await call('/audit/records/:ref', { ref: '1' })).body).toMatchObject({ record: { id: '1' } });
    expect((await call('/audit/records', {}, 'index=1')).body).toMatchObject({ record: { id: 'ev-1' } });
    expect((await call('/audit/records', {}, 'index=-1')).status).toBe(400);
    expect((await call('/audit/records', {}, 'index=abc')).status).toBe(400);
    expect((await call('/audit/records', {}, 'index=99999')).status).toBe(404);
    const latest = await call('/audit/checkpoints/:size', { size: 'latest' });
    expect([latest.status, latest.contentType]).toEqual([200, 'text/plain; charset=utf-8']);
    expect(String(latest.body)).toMatch(/^chainwatch\.audit\/test\n121\n/);
    expect((await call('/audit/checkpoints/:size', { size: '51' })).body).toMatch(/^chainwatch\.audit\/test\n51\n/);
    expect((await call('/audit/checkpoints/:size', { size: '52' })).status).toBe(404);
    expect((await call('/audit/checkpoints/:size', { size: '-1' })).status).toBe(400);
    for (const r of routes) await r.dispose?.();
  });

  it('read-only commands never create a store: a mistyped --data-dir is a clear error and leaves nothing behind', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'cw-audit-cmd-')), 'typo');
    for (const [name, argv] of [
      ['query', []],
      ['proof', ['x']],
      ['verify', ['--vkey', '/dev/null']],
    ] as const) {
      const r = await run(name, [...argv], missing);
      expect(r.code, name).not.toBe(0);
      expect(r.err, name).toMatch(/AUDIT_STORE_NOT_FOUND|AUDIT_KEY_UNREADABLE/);
      expect(existsSync(missing), name).toBe(false);
    }
    const v = await run('verify', [], missing);
    expect(v.code).toBe(2); // no verifier key: the auditor's input, before any store is touched
    expect(existsSync(missing)).toBe(false);
  });

  it('verify: a malformed --checkpoint file is bad input (2) naming the file and the parse error, not a broken trail', async () => {
    const { dir } = await dataDir();
    const bad = join(dir, 'saved.note');
    writeFileSync(bad, 'chainwatch.audit/test\nnot a size\n');
    const r = await run('verify', ['--checkpoint', bad], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(bad);
    expect(r.err).toMatch(/AUDIT_CHECKPOINT_FILE_INVALID: .*(NOTE_MALFORMED|CHECKPOINT_MALFORMED)/);
    expect(r.out).not.toMatch(/BROKEN/);
  });

  it('verify: deleted checkpoints are UNVERIFIABLE (exit 3) with the unsigned range; a store outage is exit 4', async () => {
    const { dir, db } = await dataDir();
    expect((await run('verify', [], dir)).code).toBe(0);
    await sqliteTamperer(db).deleteCheckpoints();
    const r = await run('verify', [], dir);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/UNVERIFIABLE: UNSIGNED_RANGE/);
    expect(r.out).toMatch(/records 0\.\.120/);
    const outage = await invokeCommand(
      auditCommands({
        openStore: () => Promise.reject(new Error('connect ECONNREFUSED')),
        actor: () => 'x',
      }).find((c) => c.name === 'audit verify')!,
      [],
      { section, dataDir: dir },
    );
    expect(outage.code).toBe(4);
  });

  it('verify: a history re-signed with the key is caught by saved checkpoints (file or directory); several --vkey keys verify a rotated key', async () => {
    const { dir, key, db } = await dataDir();
    const saved = join(dir, 'saved');
    mkdirSync(saved);
    const s = new SqliteAuditStore({ path: db });
    await s.open();
    const cps = await s.listCheckpoints();
    await s.close();
    writeFileSync(join(saved, 'a.note'), cps[0]!.note);
    writeFileSync(join(saved, 'b.jsonl'), `${JSON.stringify({ level: 30, msg: 'audit checkpoint signed', checkpoint: cps[1]!.note })}\n{"msg":"other"}\n`);
    expect((await run('verify', ['--checkpoint', saved], dir)).code).toBe(0);

    // The key holder rewrites record 5, recomputes every hash and re-signs all checkpoints.
    const tamper = sqliteTamperer(db);
    await tamper.editBody(5, (b) => ((b.payload as { seq: number }).seq = 999), true);
    const rebuilt = join(mkdtempSync(join(tmpdir(), 'cw-audit-cmd-')), 'audit.db');
    const r2 = new SqliteAuditStore({ path: rebuilt });
    const old = new SqliteAuditStore({ path: db });
    await old.open();
    await r2.open();
    const all = (await old.query({ limit: 10_000 })).records;
    await old.close();
    for (const rec of all) await r2.append([rec]);
    await signCheckpoint(r2, key, new Date());
    await r2.close();
    const forgedDir = mkdtempSync(join(tmpdir(), 'cw-audit-cmd-'));
    mkdirSync(join(forgedDir, 'audit'));
    writeFileSync(join(forgedDir, 'audit', VKEY_FILE), `${key.vkey}\n`);
    const { copyFileSync } = await import('node:fs');
    copyFileSync(rebuilt, join(forgedDir, 'audit', 'audit.db'));
    expect((await run('verify', [], forgedDir)).code).not.toBe(1); // alone, a re-signed history passes (or is merely unverifiable)
    const caught = await run('verify', ['--checkpoint', saved, '--json'], forgedDir);
    expect(caught.code).toBe(1);
    expect(JSON.parse(caught.out).problem.code).toMatch(/CHECKPOINT_(ROOT_MISMATCH|INCONSISTENT)/);

    // Key rotation: checkpoints by an old and a new key verify with both keys given.
    const { dir: d2, key: k1 } = await dataDir(60);
    const k2 = newKey();
    const s2 = new SqliteAuditStore({ path: join(d2, 'audit', 'audit.db') });
    await s2.open();
    await s2.append(sampleEntries(5, 500));
    await signCheckpoint(s2, k2, new Date());
    await s2.close();
    const hist = join(d2, 'history.vkey');
    writeFileSync(hist, `# key history\n${k1.vkey}\n${k2.vkey}\n`);
    const one = join(d2, 'new.vkey');
    writeFileSync(one, `${k2.vkey}\n`);
    expect((await run('verify', ['--vkey', one], d2)).code).toBe(1);
    expect((await run('verify', ['--vkey', hist], d2)).code).toBe(0);
    const old1 = join(d2, 'old.vkey');
    writeFileSync(old1, `${k1.vkey}\n`);
    expect((await run('verify', ['--vkey', old1, '--vkey', one], d2)).code).toBe(0);
  });

  it('audit note beside a daemon that appends meanwhile: waits its turn and records the note instead of failing', async () => {
    const { dir, db } = await dataDir(20);
    // The daemon's sink: another connection that appends while the CLI prepares its note.
    const daemon = new SqliteAuditStore({ path: db });
    await daemon.open();
    const before = await daemon.size();
    let raced = 0;
    const now = (): Date => {
      // Called while the CLI's append prepares its batch, after it read the trail's size and before
      // it takes the write lock: the daemon commits a record in that window (its append runs up to
      // its commit synchronously). Only the first attempt is raced.
      if (raced++ === 0) void daemon.append(sampleEntries(1, 900));
      return new Date();
    };
    const commands = auditCommands({
      openStore: async (_section, dataDir, opts) => {
        const s = new SqliteAuditStore({ path: join(dataDir, 'audit', 'audit.db'), now, create: opts.create });
        await s.open();
        return s;
      },
      actor: () => 'alice@test',
    });
    const note = await invokeCommand(
      commands.find((c) => c.name === 'audit note')!,
      ['checked', 'by', 'hand', '--json'],
      { section, dataDir: dir },
    );
    expect(note.code, note.err).toBe(0);
    expect(raced).toBeGreaterThan(1); // the first attempt lost the race and was tried again
    expect(await daemon.size()).toBe(before + 2); // the daemon's record and the note, once
    expect(await daemon.get({ id: JSON.parse(note.out).id })).toMatchObject({ kind: 'operator', payload: { text: 'checked by hand' } });
    await daemon.close();
    expect((await run('verify', [], dir)).code).toBe(0);
  });
});
