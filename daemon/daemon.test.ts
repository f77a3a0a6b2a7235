import { describe, expect, it } from 'vitest';
import { Secret } from '../core/index.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { restartOnly } from './daemon.js';

const base = (): Config => loadConfig({ env: {} }).config;
const withTls = (c: Config, tls: NonNullable<Config['http']['tls']> | undefined): Config => ({ ...c, http: { ...c.http, tls } });

describe('settings a reload cannot apply', () => {
  it('turning client certificates on or off needs a restart; a new certificate or CA file does not', () => {
    const tls = { port: 8443, cert: '/c.pem', key: '/k.pem' };
    const a = withTls(base(), tls);
    expect(restartOnly(a, withTls(base(), { ...tls, clientCa: '/ca.pem' }))).toEqual(['http.tls']);
    expect(restartOnly(withTls(base(), { ...tls, clientCa: '/ca.pem' }), a)).toEqual(['http.tls']);
    expect(restartOnly(a, withTls(base(), { ...tls, cert: '/new.pem', key: '/new.key' }))).toEqual([]);
    expect(restartOnly(withTls(base(), { ...tls, clientCa: '/a.pem' }), withTls(base(), { ...tls, clientCa: '/b.pem' }))).toEqual([]);
  });

  it('sees a rotated bus secret, and shutdown and logging changes', () => {
    const kafka = (pw: string): Config => ({
      ...base(),
      bus: { kind: 'kafka', kafka: { brokers: ['h:1'], sasl: { mechanism: 'plain', username: 'u', password: new Secret(pw) } } },
    });
    expect(restartOnly(kafka('one'), kafka('two'))).toEqual(['bus']);
    expect(restartOnly(kafka('one'), kafka('one'))).toEqual([]);
    expect(restartOnly(base(), { ...base(), shutdown: { deadline: 1000 } })).toEqual(['shutdown']);
    expect(restartOnly(base(), { ...base(), log: { level: 'debug' } })).toEqual(['log']);
  });
});
