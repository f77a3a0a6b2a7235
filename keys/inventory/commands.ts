import { existsSync } from 'node:fs';
import { type CommandSpec, EXIT, type Invocation } from '../../core/index.js';
import type { InventoryConfig } from './config.js';
import { type InventoryProblem, type KeyEntry, mergeInventory, readEntries } from './inventory.js';
import { inventoryPath } from './recorder.js';
import { InventoryStore } from './store.js';

/**
 * `chainwatch keys list [--json]` and `keys show KEYID`: the key inventory (configured keys, the
 * keys on the configured PKCS#11 tokens, and what the recorder saw). Reads the recorder's file
 * read-only (never creates it), so it runs beside the daemon. A key that cannot be read (a missing
 * PEM file, a token with a wrong PIN) is a problem in the output, not a failure of the listing.
 */
type Inv = Invocation<InventoryConfig | undefined>;

interface Listing {
  keys: (KeyEntry & { rotationOverdue: boolean })[];
  problems: InventoryProblem[];
}

async function collect(inv: Inv): Promise<Listing> {
  const cfg = inv.section;
  const { entries, problems } = await readEntries(cfg);
  const path = cfg ? inventoryPath(cfg, inv.daemon!.dataDir) : undefined;
  let merged = mergeInventory(entries, new Map(), new Map());
  if (path && existsSync(path)) {
    const store = InventoryStore.openReadonly(path);
    try {
      merged = mergeInventory(entries, store.sightings(), store.revocations());
    } finally {
      store.close();
    }
  }
  const now = inv.now().getTime();
  return {
    keys: merged.map((e) => ({
      ...e,
      rotationOverdue: e.rotationDue !== undefined && e.state !== 'revoked' && e.state !== 'archived' && Date.parse(e.rotationDue) <= now,
    })),
    problems,
  };
}

function reportProblems(inv: Inv, l: Listing): void {
  for (const p of l.problems) inv.io.err(`chainwatch keys: ${p.code}: ${p.message}`);
}

export const keysListCommand: CommandSpec<InventoryConfig | undefined> = {
  name: 'keys list',
  summary: 'List the key inventory: configured keys and identities, keys on the configured HSM tokens, state, rotation due, last seen signing',
  json: true,
  config: true,
  description: 'See docs/keys.md.',
  async run(inv) {
    const l = await collect(inv);
    if (inv.json) {
      inv.io.out(JSON.stringify(l));
      return EXIT.ok;
    }
    reportProblems(inv, l);
    if (l.keys.length === 0) {
      inv.io.out('no keys in the inventory (keys.inventory in the config)');
      return EXIT.ok;
    }
    inv.io.out(['STATE'.padEnd(9), 'KIND'.padEnd(7), 'ROTATION DUE'.padEnd(13), 'LAST SEEN'.padEnd(25), 'ID / NAME'].join(' '));
    for (const k of l.keys) {
      const due = k.rotationDue ? `${k.rotationDue.slice(0, 10)}${k.rotationOverdue ? '!' : ''}` : '-';
      inv.io.out([k.state.padEnd(9), k.kind.padEnd(7), due.padEnd(13), (k.lastSeen ?? 'never').padEnd(25), `${k.id}${k.name ? ` (${k.name})` : ''}`].join(' '));
    }
    return EXIT.ok;
  },
};

export const keysShowCommand: CommandSpec<InventoryConfig | undefined> = {
  name: 'keys show',
  summary: 'Show one key of the inventory by id, name or a unique id prefix (at least 8 characters); exit 1 when none matches',
  args: [{ name: 'KEYID', description: 'key id (hex SPKI SHA-256), identity:<issuer>|<subject>, kms:<uri>, a name, or an id prefix' }],
  json: true,
  config: true,
  async run(inv) {
    const want = inv.args[0]!;
    const l = await collect(inv);
    reportProblems(inv, l);
    let found = l.keys.filter((k) => k.id === want || k.name === want);
    if (found.length === 0 && want.length >= 8) found = l.keys.filter((k) => k.id.startsWith(want));
    if (found.length !== 1) {
      inv.io.err(
        `chainwatch keys show: ${found.length === 0 ? 'KEY_NOT_IN_INVENTORY: no key matches' : 'KEY_AMBIGUOUS: more than one key matches'} ${JSON.stringify(want)}`,
      );
      return EXIT.failed;
    }
    const k = found[0]!;
    if (inv.json) inv.io.out(JSON.stringify(k));
    else for (const [field, value] of Object.entries(k)) inv.io.out(`${field.padEnd(18)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    return EXIT.ok;
  },
};
