import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { ConfigError } from '../../core/index.js';
import { CtError } from './errors.js';
import { parseLogList, pickLogs } from './loglist.js';
import { logsOf, ctModule, ctSectionSchema } from './module.js';

const rd = realdata();

describe.skipIf(rd.skip)('collectors.ct module', () => {
  const testflume = readFileSync(join(rd.dir, 'ct/keys/letsencrypt-testflume-2021.der')).toString('base64');

  it('refuses garbage log keys and a log ID that is not the key hash when the config is checked', () => {
    const garbage = readFileSync(join(rd.dir, 'ct/keys/garbage-there-are-limits'), 'utf8');
    const res = ctSectionSchema.safeParse({
      logs: [
        { url: 'https://ct.example/a/', key: garbage },
        { url: 'https://ct.example/b/', key: testflume, logId: Buffer.alloc(32).toString('base64') },
        { url: 'https://ct.example/c/', key: testflume },
      ],
    });
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.path)).toEqual([
      ['logs', 0, 'key'],
      ['logs', 1, 'logId'],
    ]);
  });

  it('picks logs from a log list v3 by state, beside the logs configured directly', () => {
    const section = ctSectionSchema.parse({
      logs: [{ url: 'https://ct.googleapis.com/icarus/', key: testflume, batchSize: 7 }],
      logList: { path: join(rd.dir, 'ct/loglist/loglist3.json'), states: ['usable', 'qualified'], defaults: { batchSize: 100 } },
    });
    const logs = logsOf(section);
    expect(logs.map((l) => l.url).sort()).toEqual([
      'https://ct.googleapis.com/icarus/',
      'https://ct.googleapis.com/logs/argon2020/',
      'https://ct.googleapis.com/rocketeer/',
    ]);
    // The directly configured entry wins over the list's.
    expect(logs.find((l) => l.url.includes('icarus'))!.batchSize).toBe(7);
    expect(logs.find((l) => l.url.includes('rocketeer'))!.batchSize).toBe(100);
    expect(ctModule.components!(section, { dataDir: '/tmp', instance: 'x', publicUrl: undefined, facts: {} }).map((c) => c.kind)).toEqual([
      'collector',
      'collector',
      'collector',
    ]);
  });
});

describe('collectors.ct log list, bad input', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const list = (logId: string) => ({ operators: [{ name: 'op', logs: [{ log_id: logId, key, url: 'https://ct.example/a/', state: { usable: {} } }] }] });

  it('a listed log whose log_id is not the SHA-256 of its key: CT_KEY_ID_MISMATCH', () => {
    expect(() => pickLogs(parseLogList(list(Buffer.alloc(32).toString('base64'))), ['usable'])).toThrowWithCode(CtError, 'CT_KEY_ID_MISMATCH');
    expect(pickLogs(parseLogList(list(createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64'))), ['usable'])).toHaveLength(1);
  });

  it('a listed log whose URL is not one: a coded config error, not a bare schema exception', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ct-list-'));
    try {
      const bad = list(createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64'));
      bad.operators[0]!.logs[0]!.url = 'not a url';
      writeFileSync(join(dir, 'list.json'), JSON.stringify(bad));
      expect(() => logsOf(ctSectionSchema.parse({ logList: { path: join(dir, 'list.json') } }))).toThrowWithCode(ConfigError, 'CONFIG_INVALID');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a log list file that is missing or not JSON, or a listed log without its URL: CT_LOGLIST_INVALID', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ct-list-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{"operators": [');
      for (const path of [join(dir, 'missing.json'), join(dir, 'bad.json')])
        expect(() => logsOf(ctSectionSchema.parse({ logList: { path } }))).toThrowWithCode(CtError, 'CT_LOGLIST_INVALID');
      expect(() => parseLogList({ operators: [{ name: 'op', tiled_logs: [{ log_id: 'x', key, url: 'https://ct.example/submit/' }] }] })).toThrowWithCode(
        CtError,
        'CT_LOGLIST_INVALID',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
