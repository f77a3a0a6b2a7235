import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Finding, type KeyRotationSchedule, KeyRotationScheduleEvent, makeEvent, topicFor } from '../../core/index.js';
import { testContext } from '../../core/testing/index.js';
import { createCertExpiryDetector, RULE_ROTATION_DUE } from './index.js';

/**
 * cert-expiry fed by the key inventory's rotation schedule (keys.rotation_schedule events), with a
 * controlled clock: thresholds fire under key.rotation_due, a new rotation date / revocation /
 * removal resolves them, and a place that could not be read keeps its keys.
 */
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const KEY = 'a'.repeat(64);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Key = KeyRotationSchedule['keys'][number];
const key = (over: Partial<Key> = {}): Key => ({
  id: KEY,
  origin: 'token:release',
  kind: 'hsm',
  name: 'release-signing',
  owner: 'release team',
  state: 'active',
  rotationDue: '2026-03-11',
  location: 'pkcs11:token=release;object=release-signing',
  algorithm: 'ec',
  ...over,
});

async function harness(config: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-expiry-keys-'));
  dirs.push(dataDir);
  const ctx = testContext(dataDir, T0);
  const detector = createCertExpiryDetector(config, ctx);
  await detector.start();
  await detector.flush();
  const findings = () => ctx.bus.events(topicFor('findings')).map((e) => e.data as Finding);
  const publish = async (s: KeyRotationSchedule) => {
    await ctx.bus.publish(makeEvent({ type: KeyRotationScheduleEvent.type, source: 'chainwatch://keys/inventory', subject: 'keys:inventory', data: s }));
    await ctx.bus.drain();
    await detector.flush();
  };
  return { ctx, detector, findings, publish, summary: () => findings().map((f) => `${f.status} ${f.labels.threshold} ${f.severity}`) };
}

describe('cert-expiry: key rotation dates from the key inventory', () => {
  it('fires key.rotation_due per threshold with the key as evidence; a later rotation date resolves them', async () => {
    const h = await harness();
    await h.publish({ keys: [key()], problems: [] });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    const f = h.findings()[1]!;
    expect(f).toMatchObject({
      rule: RULE_ROTATION_DUE,
      category: 'infrastructure',
      subject: `key:${KEY}`,
      evidence: { kind: 'key', keyId: KEY, keyKind: 'hsm', owner: 'release team', notAfter: '2026-03-11T00:00:00.000Z', daysLeft: 10 },
    });
    expect(f.summary).toContain('Rotation of signing key release-signing');
    expect(f.summary).toContain('due 2026-03-11');
    // The same snapshot again (a republish after a restart) fires nothing new.
    await h.publish({ keys: [key()], problems: [] });
    expect(h.findings()).toHaveLength(2);
    // Rotated: the new key's date is far away, the old key left the schedule.
    await h.publish({ keys: [key({ id: 'b'.repeat(64), rotationDue: '2027-03-01' })], problems: [] });
    expect(h.summary().slice(2)).toEqual(['resolved 30d low', 'resolved 14d medium']);
    expect(
      h
        .findings()
        .slice(2)
        .every((x) => x.rule === RULE_ROTATION_DUE && x.subject === `key:${KEY}`),
    ).toBe(true);
    await h.detector.stop();
  });

  it('a token that could not be read keeps its keys; a revoked or archived key resolves; the clock crosses thresholds', async () => {
    const h = await harness();
    const config = key({
      id: 'identity:https://issuer.example|ci@example.com',
      origin: 'keys[0]',
      kind: 'fulcio',
      name: 'ci',
      rotationDue: '2026-05-01T12:00:00+02:00',
    });
    await h.publish({ keys: [key(), config], problems: [] });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    await h.publish({ keys: [config], problems: [{ origin: 'token:release', code: 'KEY_PIN_INCORRECT', message: 'the PIN was refused' }] });
    expect(h.findings()).toHaveLength(2); // could not look is not removal
    h.ctx.clock.ms = T0 + 55 * DAY; // 2026-04-25: the fulcio identity's date is 6 days away
    await h.detector.evaluate();
    const fulcio = h.findings().filter((x) => x.subject === config.id);
    expect(fulcio.map((x) => `${x.labels.threshold} ${x.severity}`)).toEqual(['30d low', '14d medium', '7d high']);
    expect(fulcio[0]!.evidence).toMatchObject({ notAfter: '2026-05-01T10:00:00.000Z' });
    const before = h.findings().length;
    await h.publish({ keys: [key({ state: 'revoked' }), { ...config, state: 'archived' }], problems: [] });
    const after = h.findings().slice(before);
    expect(after.every((x) => x.status === 'resolved')).toBe(true);
    expect(after).toHaveLength(before);
    await h.detector.stop();
  });

  it('a key that moves to another place (its config index shifted) stays firing: nothing resolves, nothing re-fires', async () => {
    const h = await harness();
    await h.publish({ keys: [key({ origin: 'keys[0]', kind: 'cosign' })], problems: [] });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    // A key inserted at the top of the config: the watched key moves to keys[1], and keys[0] (listed first) is replaced first.
    const inserted = key({ id: 'c'.repeat(64), origin: 'keys[0]', kind: 'cosign', rotationDue: '2027-01-01' });
    await h.publish({ keys: [inserted, key({ origin: 'keys[1]', kind: 'cosign' })], problems: [] });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    await h.detector.stop();
  });

  it('keys.enabled false: the schedule is not subscribed to', async () => {
    const h = await harness({ keys: { enabled: false }, ct: { enabled: false } });
    await h.publish({ keys: [key()], problems: [] });
    expect(h.findings()).toEqual([]);
    await h.detector.stop();
  });
});
