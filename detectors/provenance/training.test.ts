import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { openAuditSource } from './audit-source.js';
import { TrainError } from './errors.js';
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION, FEATURES } from './features.js';
import { madeAnomalous, provenanceEvent, realPredicate } from './testing/index.js';
import { featureLines, replayForTraining } from './training.js';

/** The training input built from recorded events (the daemon end to end: test/daemon/provenance-train.test.ts). */
const rd = realdata();

describe('provenance training input', () => {
  it('an audit database that is missing or is not an audit trail is TRAIN_AUDIT_UNREADABLE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-prov-audit-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x INTEGER)');
    db.close();
    for (const path of [join(dir, 'absent.db'), other]) {
      let err: unknown;
      try {
        openAuditSource(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TrainError);
      expect((err as TrainError).code).toBe('TRAIN_AUDIT_UNREADABLE');
    }
  });

  it('featureLines writes the header train.py checks, then one rounded vector per line', () => {
    const lines = featureLines([Float32Array.from({ length: FEATURE_COUNT }, (_, i) => i / 3)])
      .trim()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ schemaVersion: FEATURE_SCHEMA_VERSION, featureNames: [...FEATURES] });
    expect((JSON.parse(lines[1]!) as { features: number[] }).features[1]).toBe(0.333333);
  });

  it.skipIf(rd.skip)('replays in order: flagged events become history but are not learnt, a recorded duplicate counts once', async () => {
    const { predicateType, predicate } = realPredicate(rd.dir);
    const a = provenanceEvent('1', [{ predicateType, predicate }]);
    const b = provenanceEvent('2', [{ predicateType, predicate }]);
    const bad = provenanceEvent('3', [{ predicateType, predicate: madeAnomalous(predicate) }]);
    const unverified = provenanceEvent('4', [{ predicateType, predicate, verified: false }]);
    const r = await replayForTraining([a, a, bad, b, unverified], new Set([bad.id]));
    expect(r).toMatchObject({ documents: 3, excluded: 1, unreadable: 0, repositories: 1 });
    expect(r.rows).toHaveLength(2);
    // The flagged release is history for the one after it: b sees two earlier releases.
    expect(r.rows[1]![FEATURES.indexOf('history_log')]).toBeCloseTo(Math.log1p(2), 5);
  });
});
