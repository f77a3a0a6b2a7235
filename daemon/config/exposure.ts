import { isIPv4, isIPv6 } from 'node:net';
import type { ConfigWarning } from './durations.js';
import type { Config } from './schema.js';

/**
 * The HTTP listeners serve health, readiness, metrics and every module's routes; on a non-loopback
 * address anyone who can reach the host can call them. Allowed (containers, a reverse proxy on
 * another host), but said out loud: printed by `config check` and logged at start.
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

export function exposureWarnings(config: Pick<Config, 'http'>): ConfigWarning[] {
  const listeners: [string, string][] = [['http.host', config.http.host]];
  if (config.http.tls) listeners.push(['http.tls.host', config.http.tls.host ?? config.http.host]);
  return listeners
    .filter(([, host]) => !isLoopback(host))
    .map(([path, host]) => ({
      path,
      message: `${path} is ${host}, not a loopback address: every HTTP route is reachable from the network; check which need authentication`,
    }));
}
