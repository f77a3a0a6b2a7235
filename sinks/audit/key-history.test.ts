import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError, type KeyRef, type OpenKeyOptions, type Signer } from '../../core/index.js';
import { invokeCommand, MemoryKeyProvider } from '../../core/testing/index.js';
import { auditOrigin, openCheckpointKey, signCheckpoint, VKEY_FILE } from './checkpoint.js';
import { auditCommands } from './commands.js';
import { auditConfigSchema } from './config.js';
import { parseHistory } from './key-history.js';
import { SqliteAuditStore } from './sqlite.js';
import { sampleEntries } from './testing/contract.js';

const section = auditConfigSchema.parse({ instance: 'test', checkpointEvery: 100, maxBatch: 10 });
const origin = auditOrigin('test');
const verify = auditCommands().find((c) => c.name === 'audit verify')!;

/** The memory twin, where a key can be lost (its file deleted). */
class LosableKeys extends MemoryKeyProvider {
  readonly lost = new Set<string>();
  override async open(ref: KeyRef, opts: OpenKeyOptions = {}): Promise<Signer> {
    if (this.lost.has(JSON.stringify(ref))) throw new KeyError('KEY_NOT_FOUND', 'lost');
    return super.open(ref, opts);
  }
}

/** 20 records signed by key A, then a rotation to key B at size 20 (A present or lost), 10 more records signed by B. */
async function rotated(opts: { lose: boolean; signLastWithOld?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'cw-keyhist-'));
  const audit = join(dir, 'audit');
  const keys = new LosableKeys();
  const a = { file: join(dir, 'a.pem') };
  const b = { file: join(dir, 'b.pem') };
  const store = new SqliteAuditStore({ path: join(audit, 'audit.db') });
  const k1 = await openCheckpointKey(keys, a, origin, audit, { create: true, size: 0 });
  await store.open();
  await store.append(sampleEntries(20));
  await signCheckpoint(store, k1, new Date());
  if (opts.lose) keys.lost.add(JSON.stringify(a));
  const k2 = await openCheckpointKey(keys, b, origin, audit, { create: true, size: await store.size() });
  await store.append(sampleEntries(10, 20));
  await signCheckpoint(store, opts.signLastWithOld ? k1 : k2, new Date());
  await store.close();
  const run = (argv: string[] = []) => invokeCommand(verify, argv, { section, dataDir: dir, keys });
  return { dir, k1, k2, run, history: join(audit, VKEY_FILE) };
}

describe('audit key history', () => {
  it('a rotation with the old key present chains the new entry; verify is intact without warnings', async () => {
    const { k2, run, history } = await rotated({ lose: false });
    expect(k2.chained).toBe(true);
    const entries = parseHistory(readFileSync(history, 'utf8').trim().split('\n'));
    expect(entries).toMatchObject([
      { fromSize: 0, toSize: 20 },
      { fromSize: 20, previous: entries[0]!.vkey, sig: expect.any(String) },
    ]);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('KEY_UNCHAINED');
  });

  it('a rotation after key loss is unchained: verify warns "unchained key from size N" and still verifies', async () => {
    const { k2, run } = await rotated({ lose: true });
    expect(k2.chained).toBe(false);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.err).toContain('unchained key from size 20');
  });

  it('an edited history entry fails its predecessor signature: broken (exit 1)', async () => {
    const { run, history } = await rotated({ lose: false });
    writeFileSync(history, readFileSync(history, 'utf8').replace('"fromSize":20', '"fromSize":10'));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toContain('KEY_HISTORY_TAMPERED');
  });

  // The close line bounds the old key: whoever holds (or stole) it could otherwise sign
  // checkpoints past the rotation after dropping or widening the close. Its successor signs it.
  const closeLine = (text: string): string => text.split('\n').find((l) => l.includes('"kind":"close"'))!;
  it.each([
    ['removed', (text: string) => text.replace(`${closeLine(text)}\n`, '')],
    ['widened', (text: string) => text.replace('"toSize":20', '"toSize":30')],
    ['unsigned', (text: string) => text.replace(closeLine(text), closeLine(text).replace(/"sig":"[^"]*",?/, ''))],
  ])('a close line %s after the old key signed past it is KEY_HISTORY_TAMPERED (exit 1)', async (_how, edit) => {
    for (const lose of [false, true]) {
      const { run, history } = await rotated({ lose, signLastWithOld: true });
      const before = readFileSync(history, 'utf8');
      writeFileSync(history, edit(before));
      expect(readFileSync(history, 'utf8')).not.toBe(before);
      const r = await run(['--json']);
      expect(r.code, `${lose ? 'after key loss' : 'rotation'}: ${r.out}`).toBe(1);
      expect(JSON.parse(r.out.slice(r.out.indexOf('{')))).toMatchObject({ verdict: 'broken', problem: { code: 'KEY_HISTORY_TAMPERED' } });
    }
  });

  it('an entry after the first that no longer names its predecessor is KEY_HISTORY_TAMPERED, even after key loss', async () => {
    const { run, history } = await rotated({ lose: true, signLastWithOld: true });
    const lines = readFileSync(history, 'utf8').trim().split('\n');
    // Drop the close and the unchained successor's `previous`: it would pass for a first key.
    const edited = lines
      .filter((l) => !l.includes('"kind":"close"'))
      .map((l, k) => (k === 1 ? JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).filter(([f]) => f !== 'previous'))) : l));
    writeFileSync(history, `${edited.join('\n')}\n`);
    const r = await run(['--json']);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('KEY_HISTORY_TAMPERED');
  });

  it('a bare key line appended after ranged entries is reported as unchained', async () => {
    const { run, history } = await rotated({ lose: false });
    const stranger = await openCheckpointKey(new MemoryKeyProvider(), { file: '/elsewhere.pem' }, origin, mkdtempSync(join(tmpdir(), 'cw-keyhist-')));
    writeFileSync(history, `${readFileSync(history, 'utf8')}${stranger.vkey}\n`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.err).toContain(`KEY_UNCHAINED: unchained key ${stranger.vkey}: a bare key line after ranged entries`);
  });

  it('a checkpoint signed by a key outside its range is broken (exit 1)', async () => {
    const { run } = await rotated({ lose: false, signLastWithOld: true });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toContain('CHECKPOINT_KEY_OUT_OF_RANGE');
  });

  it('--vkey anchors the chain: the local history extends it only through signed entries', async () => {
    for (const lose of [false, true]) {
      const { dir, k1, run } = await rotated({ lose });
      const oob = join(dir, 'first.vkey');
      writeFileSync(oob, `${k1.vkey}\n`); // the old one-key-per-line format
      expect((await run(['--vkey', oob])).code).toBe(lose ? 1 : 0);
    }
  });
});
