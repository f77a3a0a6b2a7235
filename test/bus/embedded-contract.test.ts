import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import { runBusContract } from './contract.js';

runBusContract('embedded (SQLite)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-bus-')), 'bus.db');
  return { open: async () => new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 50 }), path }) };
});

import { describe, expect, it } from 'vitest';
import { probe } from './contract.js';

describe('embedded bus retention', () => {
  it('drops records beyond the per-partition count and older than the age limit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-bus-')), 'bus.db');
    const bus = new EmbeddedBus({
      ...embeddedBusConfigSchema.parse({ partitions: 1, retention: { maxAge: 3_600_000, maxRecordsPerPartition: 5, checkInterval: 3_600_000 } }),
      path,
    });
    await bus.start();
    await bus.publish(Array.from({ length: 12 }, (_, i) => probe(i, 'one')));
    expect(bus.applyRetention()).toBe(7);
    const seen: number[] = [];
    await bus.subscribe({
      group: 'g',
      topics: ['chainwatch.system'],
      fromBeginning: true,
      handler: async (r) => void seen.push((r.event.data as { seq: number }).seq),
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toEqual([7, 8, 9, 10, 11]);
    // Everything is older than the age limit two hours from now.
    expect(bus.applyRetention(Date.now() + 2 * 3_600_000)).toBe(5);
    await bus.stop();
  });
});
