/** The key inventory (docs/keys.md): config, recorder, commands and the capability module. */
export { keyInventoryModule } from './module.js';
export { inventoryConfigSchema, KEY_STATES, type InventoryConfig, type KeyState } from './config.js';
export { KeyInventoryRecorder, sightingsOf, inventoryPath } from './recorder.js';
export { configuredEntry, mergeInventory, tokenEntry, type KeyEntry } from './inventory.js';
export { InventoryStore } from './store.js';
