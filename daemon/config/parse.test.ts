import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT } from '../../core/index.js';
import { main } from '../cli/main.js';
import { loadConfig, MAX_CONFIG_BYTES } from './load.js';

/** Hostile or mistaken config files: each is a coded CONFIG_PARSE naming the file, never a raw library error. */
function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cw-parse-')), 'chainwatch.yaml');
  writeFileSync(p, text);
  return p;
}

/** The classic billion-laughs document: nine levels of nine aliases each. */
const ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`))
  .join('\n');

async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const sink = (arr: string[]) => Object.assign(new PassThrough(), { write: (c: string) => (arr.push(c), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(argv, { stdout: sink([]), stderr: sink(err), stdin: new PassThrough(), env: {} });
  return { code, err: err.join('') };
}

describe('config file parsing', () => {
  it('refuses a YAML alias bomb with CONFIG_PARSE naming the file', async () => {
    const f = file(ALIAS_BOMB);
    expect(() => loadConfig({ file: f, env: {} })).toThrowWithCode(ConfigError, 'CONFIG_PARSE');
    expect(await cli(['config', 'check', f])).toEqual({ code: EXIT.usage, err: expect.stringContaining(f) });
  });

  it('refuses a directory given as the config file with CONFIG_PARSE naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-parse-dir-'));
    expect(() => loadConfig({ file: dir, env: {} })).toThrowWithCode(ConfigError, 'CONFIG_PARSE');
    expect(await cli(['config', 'check', dir])).toEqual({ code: EXIT.usage, err: expect.stringContaining(dir) });
  });

  it('refuses a file over the size cap before reading it', async () => {
    const f = file(`instance: "${'x'.repeat(MAX_CONFIG_BYTES)}"\n`);
    expect(() => loadConfig({ file: f, env: {} })).toThrowWithCode(ConfigError, 'CONFIG_PARSE');
    expect(await cli(['config', 'check', f])).toEqual({ code: EXIT.usage, err: expect.stringContaining(f) });
  });

  it('still refuses a duplicate key', () => {
    const f = file('http:\n  port: 1\n  host: 127.0.0.1\n  port: 2\n');
    expect(() => loadConfig({ file: f, env: {} })).toThrowWithCode(ConfigError, 'CONFIG_PARSE', { issues: [{ path: '(file)' }] });
  });

  // Duplicate-key checking used to compare each key with every earlier one of its mapping: 20,000
  // keys took ~7 s, a 710 KB file 37 s. Linear now: 60,000 keys (~2.3 MB, far beyond any real
  // config) must load well inside this generous bound (it took minutes before).
  it('loads a very large mapping in linear time', { timeout: 30_000 }, () => {
    const n = 60_000;
    const lines = ['detectors:', '  logIntegrity:', '    stale:', '      after: 1h', '      perOrigin:'];
    for (let i = 0; i < n; i++) lines.push(`        origin-${i}.example.com: 10m`);
    const f = file(lines.join('\n') + '\n');
    const started = performance.now();
    const { config } = loadConfig({ file: f, env: {} });
    expect(Object.keys((config.detectors.logIntegrity as { stale: { perOrigin: object } }).stale.perOrigin)).toHaveLength(n);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
