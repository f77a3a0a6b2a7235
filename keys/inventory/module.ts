import { configFingerprint, defineModule } from '../../core/index.js';
import { keysListCommand, keysShowCommand } from './commands.js';
import { inventoryConfigSchema } from './config.js';
import { KeyInventoryRecorder } from './recorder.js';

/**
 * `keys.inventory`: the signing keys and identities chainwatch knows (config and HSM tokens),
 * their owners, dates and state, and when each was last seen signing; `chainwatch keys list`,
 * `keys show`. Absent section: off. The `keys` config group is this module's (core/ports/module.ts).
 */
export const keyInventoryModule = defineModule({
  id: 'keys.inventory',
  summary: 'Key inventory: configured keys, HSM token keys, state, rotation dates and last seen signing',
  section: { group: 'keys', key: 'inventory', schema: inventoryConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled
      ? [{ name: 'keys.inventory', kind: 'sink', fingerprint: configFingerprint(cfg), create: (ctx) => new KeyInventoryRecorder(cfg, ctx) }]
      : [],
  commands: [keysListCommand, keysShowCommand],
});
