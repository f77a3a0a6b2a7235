import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type CommandSpec, EXIT, parseDuration, UsageError } from '../../core/index.js';
import type { CertExpiryConfig } from './config.js';
import { Inventory, type Item } from './inventory.js';

/**
 * `chainwatch certs list [--expiring 30d] [--json]`: the certificate inventory, soonest expiry
 * first. Reads the inventory file read-only (it never creates one: before the detector ran, the
 * list is empty), so it can run beside the daemon.
 */
export const certsListCommand: CommandSpec<CertExpiryConfig | undefined> = {
  name: 'certs list',
  summary: 'List the certificate inventory (CT sightings, files, TLS endpoints, trusted root, TUF, key rotation dates), soonest expiry first',
  options: { expiring: { type: 'string', placeholder: 'DURATION', description: 'only items expiring within DURATION (e.g. 30d), expired ones included' } },
  json: true,
  config: true,
  description: 'See docs/certificates.md.',
  async run(inv) {
    const raw = inv.options.expiring as string | undefined;
    const within = raw === undefined ? undefined : parseDuration(raw);
    if (raw !== undefined && within === undefined) throw new UsageError(`--expiring must be a duration like 30d or 12h, got ${JSON.stringify(raw)}`);
    const file = inv.section?.inventoryFile ?? 'cert-inventory.sqlite';
    const path = isAbsolute(file) ? file : join(inv.daemon!.dataDir, file);
    let items: Item[] = [];
    if (existsSync(path)) {
      const store = Inventory.openReadonly(path);
      try {
        items = store.all();
      } finally {
        store.close();
      }
    }
    const now = inv.now().getTime();
    if (within !== undefined) items = items.filter((i) => Date.parse(i.notAfter) - now <= within);
    const rows = items.map((i) => ({ ...i, daysLeft: Math.floor((Date.parse(i.notAfter) - now) / 86_400_000) }));
    if (inv.json) {
      inv.io.out(JSON.stringify({ items: rows }));
      return EXIT.ok;
    }
    if (rows.length === 0) {
      inv.io.out(existsSync(path) ? 'no certificates' : `no inventory yet (${path})`);
      return EXIT.ok;
    }
    inv.io.out(['NOT AFTER'.padEnd(25), 'DAYS'.padStart(5), ' SOURCE'.padEnd(14), 'WHAT'].join(' '));
    for (const r of rows) inv.io.out([r.notAfter.padEnd(25), String(r.daysLeft).padStart(5), ` ${r.source}`.padEnd(14), `${r.label} (${r.slot})`].join(' '));
    return EXIT.ok;
  },
};
