import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import { type ClosableStateStore, makeEvent, ProbeEvent, topicFor } from '../../core/index.js';
import { cuts, diskImage, type DiskImage, outcomes, restore, walFrames, withHole } from '../../core/testing/index.js';
import { SqliteStateStore, stateStoreFor } from '../../stores/sqlite/index.js';

/**
 * Power loss between a publish and the cursor write that follows it, on real SQLite files.
 *
 * The Rekor collector's commit is: publish a batch (resolves once committed), THEN put the cursor
 * that says "every entry below `verified` is on the bus". Invariant: a cursor that survives power
 * loss never covers a record that did not. The files are copied as they are on disk (no
 * checkpoint), and every outcome power loss can leave is replayed: each WAL cut at every frame
 * boundary, independently per file when there are two.
 */
const CURSOR = 'rekor:test:cursor';
const BATCHES = 4;
const PER_BATCH = 5;

interface Durable {
  cursor: number | undefined;
  seqs: Set<number>;
}

async function runCollectorCommits(bus: EmbeddedBus, state: ClosableStateStore): Promise<void> {
  for (let b = 0; b < BATCHES; b++) {
    const seqs = Array.from({ length: PER_BATCH }, (_, i) => b * PER_BATCH + i);
    await bus.publish(seqs.map((seq) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: `entry-${seq}`, data: { seq } })));
    await state.put(CURSOR, { verified: (b + 1) * PER_BATCH, fetched: (b + 1) * PER_BATCH });
  }
}

const hasTable = (db: Database.Database, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/** Opens a throw-away copy: no fsync when closing checkpoints it (keeps hundreds of outcomes fast). */
function scratch(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  return db;
}

/** What a restarted daemon would find: the cursor in `stateFile`, the records in `busFile`. */
function recovered(busFile: string, stateFile: string): Durable {
  const bus = scratch(busFile);
  const state = stateFile === busFile ? bus : scratch(stateFile);
  try {
    const raw = hasTable(state, 'state') ? (state.prepare('SELECT value FROM state WHERE key = ?').pluck().get(CURSOR) as string | undefined) : undefined;
    const values = hasTable(bus, 'records') ? (bus.prepare('SELECT value FROM records WHERE topic = ?').pluck().all(topicFor('system')) as Buffer[]) : [];
    return {
      cursor: raw === undefined ? undefined : (JSON.parse(raw) as { verified: number }).verified,
      seqs: new Set(values.map((v) => (JSON.parse(v.toString('utf8')) as { data: { seq: number } }).data.seq)),
    };
  } finally {
    if (state !== bus) state.close();
    bus.close();
  }
}

/** Entries the cursor claims are on the bus but are not. */
const skipped = (d: Durable): number[] => Array.from({ length: d.cursor ?? 0 }, (_, i) => i).filter((i) => !d.seqs.has(i));

function newBus(dataDir: string): EmbeddedBus {
  // Default settings (fsync: false, i.e. synchronous=NORMAL): the case the invariant was broken in.
  return new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dataDir, 'bus.db') });
}

describe('cursor never durable ahead of the records it covers, across power loss', () => {
  it('the daemon keeps the state in the embedded bus database: no outcome skips an entry', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-powerloss-'));
    const bus = newBus(dataDir);
    await bus.start();
    const state = stateStoreFor(bus, dataDir); // what the composition root builds
    let image: DiskImage;
    try {
      await runCollectorCommits(bus, state);
      image = diskImage(join(dataDir, 'bus.db'));
    } finally {
      await bus.stop();
      state.close();
    }
    expect(walFrames(image.wal)).toBeGreaterThan(BATCHES * 2); // really uncheckpointed: every commit is in the WAL

    const copy = join(mkdtempSync(join(tmpdir(), 'cw-powerloss-copy-')), 'bus.db');
    const cursorsSeen = new Set<number | undefined>();
    for (const cut of cuts(image)) {
      restore(image, cut, copy);
      const d = recovered(copy, copy);
      cursorsSeen.add(d.cursor);
      expect(skipped(d), `WAL cut at ${cut} bytes`).toEqual([]);
    }
    // The outcomes span every intermediate cursor, so the check above covered each commit pair.
    expect([...cursorsSeen].sort()).toEqual([undefined, ...Array.from({ length: BATCHES }, (_, b) => (b + 1) * PER_BATCH)].sort());

    // A lost frame with later ones on disk recovers like a cut there (chained checksums).
    for (let k = 0; k < walFrames(image.wal); k++) {
      restore(withHole(image, k), image.wal.length, copy);
      expect(skipped(recovered(copy, copy)), `frame ${k} lost`).toEqual([]);
    }
  });

  it('the old layout (cursor in its own state.db beside bus.db) does skip entries in some outcome: the simulation has teeth', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-powerloss-old-'));
    const bus = newBus(dataDir);
    await bus.start();
    const state: ClosableStateStore = new SqliteStateStore(join(dataDir, 'state.db')); // what the daemon built before
    let images: DiskImage[];
    try {
      await runCollectorCommits(bus, state);
      images = [diskImage(join(dataDir, 'bus.db')), diskImage(join(dataDir, 'state.db'))];
    } finally {
      await bus.stop();
      state.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'cw-powerloss-old-copy-'));
    const [busCopy, stateCopy] = [join(dir, 'bus.db'), join(dir, 'state.db')];
    let violations = 0;
    let total = 0;
    for (const [busCut, stateCut] of outcomes(images)) {
      restore(images[0]!, busCut!, busCopy);
      restore(images[1]!, stateCut!, stateCopy);
      total++;
      if (skipped(recovered(busCopy, stateCopy)).length > 0) violations++;
    }
    expect(total).toBe(cuts(images[0]!).length * cuts(images[1]!).length);
    expect(violations).toBeGreaterThan(0);
  });
});

describe('the daemon state store on the embedded bus', () => {
  it('moves an existing <dataDir>/state.db into bus.db on first start, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-state-move-'));
    const before = new SqliteStateStore(join(dataDir, 'state.db')); // what an older daemon left
    await before.put(CURSOR, { verified: 1234, fetched: 1300 });
    before.close();

    const bus = newBus(dataDir);
    const state = stateStoreFor(bus, dataDir);
    expect(await state.get(CURSOR)).toEqual({ verified: 1234, fetched: 1300 });
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false);
    expect(existsSync(join(dataDir, 'state.db.migrated'))).toBe(true);
    await state.put(CURSOR, { verified: 1300, fetched: 1300 });
    state.close();

    const raw = new Database(join(dataDir, 'bus.db'));
    expect(JSON.parse(raw.prepare('SELECT value FROM state WHERE key = ?').pluck().get(CURSOR) as string)).toEqual({ verified: 1300, fetched: 1300 });
    raw.close();
    const again = stateStoreFor(newBus(dataDir), dataDir); // second start: nothing left to import
    expect(await again.get(CURSOR)).toEqual({ verified: 1300, fetched: 1300 });
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false);
    again.close();
  });
});
