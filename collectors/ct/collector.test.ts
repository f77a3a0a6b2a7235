import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { topicFor, type TlogAnomaly } from '../../core/index.js';
import { type RecordingServer, startRecordingServer, testContext } from '../../core/testing/index.js';
import { createCtCollector } from './collector.js';
import { CtError } from './errors.js';
import { treeHeadSignatureInput } from './log-key.js';

/**
 * The CT collector's own failure paths, offline: a log twin (core/testing RecordingServer) answers
 * what a real ct_server would not. The real logs are in test/ct.test.ts and test/ct-faults.test.ts.
 */
const keyPair = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (k: KeyObject): string => k.export({ format: 'der', type: 'spki' }).toString('base64');

/** get-sth JSON for a tree of `size` with `root`, signed by `privateKey` (RFC 6962 DigitallySigned). */
function sth(privateKey: KeyObject, size: number, root: Buffer): Record<string, unknown> {
  const timestamp = Date.UTC(2026, 0, 1);
  const sig = sign('sha256', treeHeadSignatureInput(timestamp, size, root), privateKey);
  const ds = Buffer.concat([Buffer.from([4, 3, sig.length >> 8, sig.length & 0xff]), sig]);
  return { tree_size: size, timestamp, sha256_root_hash: root.toString('base64'), tree_head_signature: ds.toString('base64') };
}

describe('CT collector failure paths', () => {
  let log: RecordingServer | undefined;
  afterEach(async () => log?.stop());

  it('a tree head another key signed: a signature_invalid anomaly, nothing else published, no cursor; the loop keeps polling and health names the code', async () => {
    const logKey = keyPair();
    const impostor = keyPair();
    log = await startRecordingServer(() => ({ status: 200, body: sth(impostor.privateKey, 3, Buffer.alloc(32, 1)) }));
    const ctx = testContext('/nonexistent');
    const c = createCtCollector({ url: `${log.url}/log/`, key: spki(logKey.publicKey), pollInterval: 1 }, ctx);

    await expect(c.roundOnce()).rejects.toThrowWithCode(CtError, 'CT_STH_SIGNATURE_INVALID');
    const anomalies = ctx.bus.events(topicFor('tlog')).map((e) => e.data as TlogAnomaly);
    expect(anomalies.map((a) => [a.kind, a.code])).toEqual([['signature_invalid', 'CT_STH_SIGNATURE_INVALID']]);
    expect(ctx.bus.events(topicFor('ct'))).toEqual([]);
    expect(c.cursor()).toBeUndefined();
    expect(await ctx.state.get(`ct:primary:${log.url}/log/:cursor`)).toBeUndefined();

    await c.start();
    await vi.waitFor(() => expect(ctx.bus.events(topicFor('tlog')).length).toBeGreaterThanOrEqual(3));
    expect(c.health()).toEqual({ ready: true, detail: 'last error CT_STH_SIGNATURE_INVALID' });
    await c.stop();
    expect(c.health().ready).toBe(false);
    expect(c.cursor()).toBeUndefined();
  });

  it('get-entries answering more entries than asked: malformed_response, the cursor stays at the head it verified', async () => {
    const logKey = keyPair();
    const root = Buffer.alloc(32, 2);
    const entry = { leaf_input: Buffer.alloc(8).toString('base64'), extra_data: '' };
    log = await startRecordingServer((req) =>
      req.path.endsWith('/get-sth') ? { status: 200, body: sth(logKey.privateKey, 2, root) } : { status: 200, body: { entries: [entry, entry, entry] } },
    );
    const ctx = testContext('/nonexistent');
    const c = createCtCollector({ url: `${log.url}/log/`, key: spki(logKey.publicKey), start: 'beginning' }, ctx);

    await expect(c.roundOnce()).rejects.toThrowWithCode(CtError, 'CT_RESPONSE_MALFORMED');
    expect(ctx.bus.events(topicFor('ct'))).toEqual([]);
    const anomalies = ctx.bus.events(topicFor('tlog')).filter((e) => e.type.endsWith('anomaly.v1'));
    expect(anomalies.map((e) => (e.data as TlogAnomaly).kind)).toEqual(['malformed_response']);
    expect(c.cursor()).toMatchObject({ verified: 0, head: { size: 2, rootHash: root.toString('base64') } });
  });
});
