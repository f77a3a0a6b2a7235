import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realdata } from '../../core/testing/index.js';
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
