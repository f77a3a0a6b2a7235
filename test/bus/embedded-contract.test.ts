import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import { runBusContract } from './contract.js';

runBusContract('embedded (SQLite)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-bus-')), 'bus.db');
  return { open: async () => new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollIntervalMs: 50 }), path }) };
});
