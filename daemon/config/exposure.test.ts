import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { exposureWarnings, isLoopback } from './exposure.js';
import { loadConfig } from './load.js';

describe('HTTP listeners off loopback', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'chainwatch.internal', '::ffff:10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('warns for each listener bound off loopback, and not for the default', () => {
    expect(exposureWarnings(loadConfig({ env: {} }).config)).toEqual([]);
    const { config } = loadConfig({ env: { CHAINWATCH_HTTP__HOST: '0.0.0.0' } });
    expect(exposureWarnings(config).map((w) => w.path)).toEqual(['http.host']);
    const tls = { ...config.http, host: '127.0.0.1', tls: { host: '::', port: 8443, cert: '/c', key: '/k' } };
    expect(exposureWarnings({ http: tls }).map((w) => w.path)).toEqual(['http.tls.host']);
  });

  it('config check prints the warning and still passes', async () => {
    const err: string[] = [];
    const sink = (arr: string[]) => Object.assign(new PassThrough(), { write: (c: string) => (arr.push(c), true) }) as unknown as NodeJS.WritableStream;
    const code = await main(['config', 'check', '--json', '/dev/null'], {
      stdout: sink([]),
      stderr: sink(err),
      stdin: new PassThrough(),
      env: { CHAINWATCH_HTTP__HOST: '0.0.0.0' },
    });
    expect(code).toBe(0);
    expect(err.join('')).toMatch(/^warning: http\.host is 0\.0\.0\.0, not a loopback address/m);
  });
});
