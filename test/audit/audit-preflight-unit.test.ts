import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { createKeyProvider } from '../../keys/index.js';
import { auditPreflight, auditWarnings, parseAuditConfig } from '../../sinks/audit/index.js';

const host = (dataDir: string) => ({ dataDir, instance: 'unit', publicUrl: undefined, keys: createKeyProvider() });

function keyFile(dir: string, mode: number): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = join(dir, 'checkpoint-key.pem');
  writeFileSync(p, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(p, mode);
  return p;
}

describe('audit module preflight and warnings', () => {
  it('passes when the default key does not exist yet (the sink creates it)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-pre-'));
    await expect(auditPreflight(parseAuditConfig({}), host(dataDir))).resolves.toBeUndefined();
  });

  it('refuses a key readable by group/others, and one that is not a key, with CONFIG_UNSAFE at sinks.audit.key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-pre-'));
    const insecure = keyFile(join(dataDir, 'audit'), 0o640);
    await expect(auditPreflight(parseAuditConfig({}), host(dataDir))).rejects.toThrowWithCode(ConfigError, 'CONFIG_UNSAFE');
    const junk = join(dataDir, 'junk.pem');
    writeFileSync(junk, 'not a key', { mode: 0o600 });
    const err = await auditPreflight(parseAuditConfig({ key: { file: junk } }), host(dataDir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['sinks.audit.key']);
    // Disabled: nothing to check, whatever the file.
    await expect(auditPreflight(parseAuditConfig({ enabled: false, key: { file: insecure } }), host(dataDir))).resolves.toBeUndefined();
  });

  it('warns about a key inside the data directory, not about one outside it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-pre-'));
    expect(auditWarnings(parseAuditConfig({}), { dataDir }).map((w) => w.path)).toEqual(['sinks.audit.key']);
    const outside = keyFile(mkdtempSync(join(tmpdir(), 'cw-audit-pre-key-')), 0o600);
    expect(auditWarnings(parseAuditConfig({ key: { file: outside } }), { dataDir })).toEqual([]);
  });
});
