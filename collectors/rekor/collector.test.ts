import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { noopMetrics, silentLogger, ConfigError } from '../../core/index.js';
import type { CloudEvent, RekorEntry, TlogAnomaly, ComponentContext } from '../../core/index.js';
import { MemoryKeyProvider, MemoryStateStore } from '../../core/testing/index.js';
import { MemoryBus } from '../../core/testing/index.js';
import { createRekorCollector, type RekorCollector } from './collector.js';
import type { RekorCollectorConfigInput } from './config.js';
import type { Cursor } from './host.js';
import { FakeRekor, loadRecording } from './testing/fake-rekor.js';
import { RekorV1Client } from './v1-client.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const rec = loadRecording();
const [head1, head2] = rec.heads as [(typeof rec.heads)[0], (typeof rec.heads)[0]];
const N = head2.treeSize;

const keys = new MemoryKeyProvider();
function ctx(bus: MemoryBus, state = new MemoryStateStore()): ComponentContext {
  return { bus, state, logger: silentLogger, metrics: noopMetrics, dataDir: '/nonexistent', keys, fail: () => undefined, now: () => new Date() };
}
const entries = (bus: MemoryBus): RekorEntry[] => bus.events('chainwatch.rekor').map((e) => e.data as RekorEntry);
const tlog = (bus: MemoryBus): CloudEvent[] => bus.events('chainwatch.tlog');
const anomalies = (bus: MemoryBus): TlogAnomaly[] =>
  tlog(bus)
    .filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1')
    .map((e) => e.data as TlogAnomaly);
let dump = (): string => '';
/** Re-signs a checkpoint body with the recorded throw-away log key (to forge a correctly signed fork). */
function forge(origin: string, size: number, rootB64: string): string {
  const text = `${origin}\n${size}\n${rootB64}\n`;
  const old = head2.signedTreeHead.split('\n\n')[1]!.split('\n')[0]!; // "— name b64"
  const [, name, b64] = /^\u2014 (\S+) (\S+)$/.exec(old)!;
  const hint = Buffer.from(b64!, 'base64').subarray(0, 4);
  const sig = sign('sha256', Buffer.from(text), createPrivateKey(rec.testOnlySignerKey));
  return `${text}\n\u2014 ${name} ${Buffer.concat([hint, sig]).toString('base64')}\n`;
}

describe('RekorCollector (v1) against recorded responses of a real Rekor', () => {
  let fake: FakeRekor;
  let bus: MemoryBus;
  let collectors: RekorCollector[];
  const make = async (over: Partial<RekorCollectorConfigInput> = {}, state?: MemoryStateStore): Promise<RekorCollector> => {
    const c = createRekorCollector(
      { url: fake.url, publicKey: rec.publicKey, start: 'beginning', pollInterval: 30, batchSize: 4, concurrency: 2, ...over },
      ctx(bus, state),
    ) as RekorCollector;
    collectors.push(c);
    await c.start();
    return c;
  };
  beforeEach(async () => {
    fake = new FakeRekor(rec);
    await fake.start();
    bus = new MemoryBus();
    collectors = [];
    dump = () => JSON.stringify(anomalies(bus).map((a) => [a.kind, a.code, a.message])).slice(0, 1500);
  });
  afterEach(async () => {
    for (const c of collectors) await c.stop();
    await fake.stop();
  });

  it('publishes every entry verified (inclusion + SET), with digests and signer identity', async () => {
    await make();
    await vi.waitFor(() => expect(entries(bus).length === N, `all entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const got = entries(bus);
    expect(got.map((e) => e.logIndex)).toEqual([...Array(N).keys()]);
    for (const e of got) {
      expect(e.kind).toBe('hashedrekord');
      expect(e.verification).toMatchObject({ inclusion: true, set: true });
      expect(e.artifact.digests[0]).toMatchObject({ algorithm: 'sha256', value: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(e.signers[0]?.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(got[0]!.signers[0]!.kind).toBe('publicKey');
    const cert = got[N - 1]!.signers[0]!;
    expect(cert).toMatchObject({ kind: 'certificate', issuer: 'https://token.actions.githubusercontent.com', san: expect.stringContaining('release.yml') });
    expect(cert.github).toMatchObject({
      repository: 'https://github.com/chainwatch/demo',
      ref: 'refs/heads/main',
      trigger: 'push',
      runnerEnvironment: 'github-hosted',
    });
    expect(cert.extensions['1.3.6.1.4.1.57264.1.1']).toBe('https://token.actions.githubusercontent.com');
    const cps = tlog(bus).filter((e) => e.type === 'dev.chainwatch.tlog.checkpoint.v1');
    expect(cps[0]!.data).toMatchObject({ treeSize: N, signatureVerified: true });
    expect(anomalies(bus)).toEqual([]);
  });

  it('proves consistency between tree heads, verifies newer proof anchors, and resumes after restart without gap or duplicate', async () => {
    fake.head = head1;
    const state = new MemoryStateStore();
    const c1 = await make({}, state);
    // Entry proofs are for the newer tree: the collector must verify that head before using it.
    await vi.waitFor(() => expect(entries(bus).length === head1.treeSize, `first half; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    fake.head = head2;
    await vi.waitFor(() => expect(entries(bus).length === N, `all entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const cps = tlog(bus)
      .filter((e) => e.type === 'dev.chainwatch.tlog.checkpoint.v1')
      .map((e) => e.data as { treeSize: number; consistentWith?: number });
    expect(cps.map((c) => c.treeSize)).toEqual([head1.treeSize, head2.treeSize]);
    expect(cps[1]!.consistentWith).toBe(head1.treeSize);
    await c1.stop();
    await c1.stop(); // idempotent
    const cur = (await state.get<Cursor>(`rekor:primary:${fake.url}:cursor`))!;
    expect(cur.verified).toBe(N);
    await make({}, state);
    await vi.waitFor(() => expect(fake.requests.filter((r) => r === 'GET /api/v1/log').length >= 4, `a poll after restart; anomalies: ${dump()}`).toBe(true), {
      timeout: 8000,
      interval: 20,
    });
    expect(entries(bus).map((e) => e.logIndex)).toEqual([...Array(N).keys()]);
    expect(anomalies(bus)).toEqual([]);
  });

  it('re-publishes an unchanged verified checkpoint only once per heartbeat interval', async () => {
    const cps = () =>
      tlog(bus)
        .filter((e) => e.type === 'dev.chainwatch.tlog.checkpoint.v1')
        .map((e) => e.data as { treeSize: number; consistentWith?: number });
    const quiet = await make({ checkpointHeartbeat: 3_600_000 });
    await vi.waitFor(() => expect(entries(bus).length === N, `all entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const settled = cps().length;
    await new Promise((r) => setTimeout(r, 300)); // ~10 more polls of an unchanged tree
    expect(cps().length).toBe(settled);
    await quiet.stop();

    const chatty = await make({ checkpointHeartbeat: 0 });
    await vi.waitFor(() => expect(cps().length >= settled + 3, `heartbeat checkpoints; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const beat = cps().at(-1)!;
    expect(beat.treeSize).toBe(N);
    expect(beat.consistentWith).toBe(N);
    await chatty.stop();
  });

  it('stopped mid-tail resumes exactly at the verified cursor', async () => {
    const state = new MemoryStateStore();
    let served = 0;
    fake.hook = (req, res) => {
      if (req.url?.includes('retrieve') && ++served > 1) {
        res.writeHead(503).end();
        return true;
      }
      return false;
    };
    const c1 = await make({ batchSize: 4, concurrency: 1 }, state);
    await vi.waitFor(() => expect(entries(bus).length === 4, `first batch; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    await c1.stop();
    fake.hook = undefined;
    await make({}, state);
    await vi.waitFor(() => expect(entries(bus).length === N, `all entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    expect(entries(bus).map((e) => e.logIndex)).toEqual([...Array(N).keys()]);
  });

  it('never skips an entry when fetching the consistency proof for its anchor fails transiently', async () => {
    fake.head = head1; // every entry's proof names head2: the collector must fetch head1 -> head2 proofs
    let failures = 0;
    fake.hook = (req, res) => {
      if (req.url?.startsWith('/api/v1/log/proof') && failures < 4) {
        failures++;
        res.writeHead(503).end();
        return true;
      }
      return false;
    };
    const state = new MemoryStateStore();
    await make({}, state);
    await vi.waitFor(() => expect(failures >= 4, `retries exhausted once; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    fake.head = head2;
    await vi.waitFor(
      () =>
        expect(entries(bus).length >= N - 1 && fake.requests.filter((r) => r === 'GET /api/v1/log').length >= 4, `all entries; anomalies: ${dump()}`).toBe(
          true,
        ),
      { timeout: 8000, interval: 20 },
    );
    expect(entries(bus).map((e) => e.logIndex)).toEqual([...Array(N).keys()]);
    expect(anomalies(bus).filter((a) => a.evidence.logIndex !== undefined)).toEqual([]);
  });

  it('reports an out-of-range integratedTime as a coded per-entry anomaly and publishes the rest', async () => {
    fake.mutateEntry = (e, i) => {
      if (i === 1) e.integratedTime = 1e15; // beyond the Date range
      return e;
    };
    await make({ verifySet: false });
    await vi.waitFor(() => expect(entries(bus).length === N - 1, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    expect(anomalies(bus).map((a) => [a.evidence.logIndex, a.kind, a.code])).toEqual([[1, 'entry_malformed', 'REKOR_ENTRY_MALFORMED']]);
  });

  it('does not keep already published batches in memory while it catches up (a long backlog would exhaust the heap)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<object>[] = [];
    const real = RekorV1Client.prototype.entries;
    // A plain wrapper, not vi.spyOn: a spy records every result and would itself retain them.
    RekorV1Client.prototype.entries = async function (this: RekorV1Client, idx: number[], signal?: AbortSignal) {
      const out = await real.call(this, idx, signal);
      for (const e of out) refs[e.logIndex] = new WeakRef(e);
      return out;
    };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const publish = bus.publish.bind(bus);
    bus.publish = async (events, opts) => {
      const list = Array.isArray(events) ? events : [events];
      if (list.some((e) => (e.data as { logIndex?: number } | undefined)?.logIndex === N - 1)) await gate; // hold the last batch
      return publish(events, opts);
    };
    try {
      await make({ batchSize: 4, concurrency: 1 });
      await vi.waitFor(() => expect(entries(bus).length === N - 4 && refs[N - 1] !== undefined, `first batches published; anomalies: ${dump()}`).toBe(true), {
        timeout: 8000,
        interval: 20,
      });
      // No deref() before gc(): a WeakRef target read in the current job is kept alive through it.
      await new Promise((r) => setTimeout(r, 10));
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(refs[0]!.deref()).toBeUndefined();
    } finally {
      release();
      RekorV1Client.prototype.entries = real;
    }
    await vi.waitFor(() => expect(entries(bus).length === N, `all entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
  });

  it('refuses a checkpoint with a bad signature, reports it, and recovers', async () => {
    const sth = head2.signedTreeHead;
    const i = sth.lastIndexOf(' ') + 10;
    fake.head = { ...head2, signedTreeHead: sth.slice(0, i) + (sth[i] === 'A' ? 'B' : 'A') + sth.slice(i + 1) };
    await make();
    await vi.waitFor(() => expect(anomalies(bus).length > 0, `anomaly; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    expect(anomalies(bus)[0]).toMatchObject({ kind: 'signature_invalid', code: 'NOTE_SIGNATURE_INVALID' });
    expect(entries(bus)).toEqual([]);
    fake.head = head2;
    await vi.waitFor(() => expect(entries(bus).length === N, `entries after recovery; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
  });

  it('reports a signed tree head that does not parse as a malformed response, and one for another origin as a bad signature', async () => {
    fake.head = { ...head2, signedTreeHead: head2.signedTreeHead.slice(0, head2.signedTreeHead.lastIndexOf('\n\n')) };
    const origin = head2.signedTreeHead.split('\n')[0]!;
    const c = await make();
    await vi.waitFor(() => expect(anomalies(bus).length > 0, 'malformed anomaly').toBe(true), { timeout: 8000, interval: 20 });
    expect(anomalies(bus)[0]).toMatchObject({ kind: 'malformed_response', code: 'NOTE_MALFORMED' });
    await c.stop();
    fake.head = head2;
    await make({ origin: `${origin}0` });
    await vi.waitFor(() => expect(anomalies(bus).length > 1, 'origin anomaly').toBe(true), { timeout: 8000, interval: 20 });
    expect(anomalies(bus)[1]).toMatchObject({ kind: 'signature_invalid', code: 'CHECKPOINT_ORIGIN_MISMATCH' });
    expect(entries(bus)).toEqual([]);
  });

  it('detects a fork: a correctly signed head with another root for a known size', async () => {
    const state = new MemoryStateStore();
    await make({}, state);
    await vi.waitFor(() => expect(entries(bus).length === N, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const origin = head2.signedTreeHead.split('\n')[0]!;
    const forgedRoot = Buffer.alloc(32, 7);
    fake.head = { ...head2, rootHash: forgedRoot.toString('hex'), signedTreeHead: forge(origin, N, forgedRoot.toString('base64')) };
    await vi.waitFor(
      () =>
        expect(
          anomalies(bus).some((a) => a.kind === 'consistency_failed'),
          `fork anomaly; anomalies: ${dump()}`,
        ).toBe(true),
      { timeout: 8000, interval: 20 },
    );
    expect(anomalies(bus).find((a) => a.kind === 'consistency_failed')!.code).toBe('TLOG_CONSISTENCY_MISMATCH');
    // A larger forged head whose consistency proof cannot match.
    fake.head = { ...head2, treeSize: N + 1, rootHash: forgedRoot.toString('hex'), signedTreeHead: forge(origin, N + 1, forgedRoot.toString('base64')) };
    fake.hook = (req, res) => (req.url?.startsWith('/api/v1/log/proof') ? (res.writeHead(200).end(JSON.stringify(rec.proof)), true) : false);
    await vi.waitFor(
      () => expect(anomalies(bus).filter((a) => a.kind === 'consistency_failed').length >= 2, `second fork anomaly; anomalies: ${dump()}`).toBe(true),
      { timeout: 8000, interval: 20 },
    );
    const cps = tlog(bus).filter((e) => e.type === 'dev.chainwatch.tlog.checkpoint.v1');
    expect(cps).toHaveLength(1); // nothing unverified was published
    expect((await state.get<Cursor>(`rekor:primary:${fake.url}:cursor`))!.head!.size).toBe(N);
  });

  it('detects a shrinking tree', async () => {
    await make();
    await vi.waitFor(() => expect(entries(bus).length === N, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    fake.head = head1;
    await vi.waitFor(
      () =>
        expect(
          anomalies(bus).some((a) => a.kind === 'tree_shrank'),
          `shrink anomaly; anomalies: ${dump()}`,
        ).toBe(true),
      { timeout: 8000, interval: 20 },
    );
    expect(anomalies(bus).find((a) => a.kind === 'tree_shrank')!.code).toBe('TLOG_TREE_SHRANK');
  });

  it('reports proofs of the wrong length, bad SETs and substituted bodies per entry, publishing the rest', async () => {
    fake.mutateEntry = (e, i) => {
      if (i === 1) e.verification.inclusionProof.hashes = e.verification.inclusionProof.hashes.slice(1);
      if (i === 2) e.verification.signedEntryTimestamp = Buffer.from('MEUCIQD' + 'A'.repeat(60)).toString('base64');
      if (i === 3) e.body = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(e.body, 'base64').toString()), null, 1)).toString('base64');
      if (i === 4) e.verification.inclusionProof.hashes = e.verification.inclusionProof.hashes.map((h, k) => (k === 0 ? 'ff'.repeat(32) : h));
      return e;
    };
    await make();
    await vi.waitFor(() => expect(entries(bus).length === N - 4, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    await vi.waitFor(() => expect(anomalies(bus).length >= 4, `anomalies; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    const byIndex = Object.fromEntries(anomalies(bus).map((a) => [a.evidence.logIndex, [a.kind, a.code]]));
    expect(byIndex).toEqual({
      1: ['inclusion_failed', 'TLOG_INCLUSION_BAD_PROOF_LENGTH'],
      2: ['set_invalid', 'REKOR_SET_INVALID'],
      3: ['entry_malformed', 'REKOR_ENTRY_MISMATCH'],
      4: ['inclusion_failed', 'TLOG_INCLUSION_MISMATCH'],
    });
    expect(entries(bus).map((e) => e.logIndex)).not.toContain(1);
  });

  it('turns truncated, wrongly typed and oversized responses into coded anomalies and keeps going', async () => {
    let mode = 0;
    fake.hook = (req, res) => {
      if (req.url !== '/api/v1/log') return false;
      mode++;
      if (mode === 1) return (res.writeHead(200).end(JSON.stringify(head2).slice(0, 40)), true);
      if (mode === 2) return (res.writeHead(200).end(JSON.stringify({ ...head2, treeSize: String(N) })), true);
      if (mode === 3) return (res.writeHead(200).end(JSON.stringify({ ...head2, pad: 'x'.repeat(300_000) })), true);
      return false;
    };
    await make({ maxBodyBytes: 200_000 });
    await vi.waitFor(() => expect(entries(bus).length === N, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    expect(anomalies(bus).map((a) => [a.kind, a.code])).toEqual([
      ['malformed_response', 'HTTP_BAD_RESPONSE'],
      ['malformed_response', 'REKOR_RESPONSE_MALFORMED'],
      ['malformed_response', 'HTTP_BODY_TOO_LARGE'],
    ]);
  });

  it('honours 429 Retry-After and reports 5xx, both as anomalies, then continues', async () => {
    let n = 0;
    let firstAt = 0;
    let secondAt = 0;
    fake.hook = (req, res) => {
      if (req.url !== '/api/v1/log') return false;
      n++;
      if (n === 1) {
        firstAt = Date.now();
        return (res.writeHead(429, { 'retry-after': '1' }).end(), true);
      }
      if (n === 2) {
        secondAt = Date.now();
        return (res.writeHead(502).end(), true);
      }
      return false;
    };
    await make();
    await vi.waitFor(() => expect(entries(bus).length === N, `entries; anomalies: ${dump()}`).toBe(true), { timeout: 8000, interval: 20 });
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(950);
    expect(anomalies(bus).map((a) => [a.kind, a.code, a.evidence.status])).toEqual([
      ['rate_limited', 'HTTP_RATE_LIMITED', 429],
      ['server_error', 'HTTP_SERVER_ERROR', 502],
    ]);
  });

  it('never moves the cursor past events the bus did not durably accept', async () => {
    const state = new MemoryStateStore();
    bus.failWith = new Error('broker down');
    await make({}, state);
    await vi.waitFor(() => expect(fake.requests.filter((r) => r === 'GET /api/v1/log').length >= 3, `several failed rounds; anomalies: ${dump()}`).toBe(true), {
      timeout: 8000,
      interval: 20,
    });
    expect((await state.get<Cursor>(`rekor:primary:${fake.url}:cursor`))?.verified ?? 0).toBe(0);
    bus.failWith = undefined;
    await vi.waitFor(() => expect(entries(bus).length === N, `entries after the bus came back; anomalies: ${dump()}`).toBe(true), {
      timeout: 8000,
      interval: 20,
    });
    expect(entries(bus).map((e) => e.logIndex)).toEqual([...Array(N).keys()]);
    expect((await state.get<Cursor>(`rekor:primary:${fake.url}:cursor`))!.verified).toBe(N);
  });

  it('reports an unreachable log', async () => {
    await fake.stop();
    const c = await make({ url: 'http://127.0.0.1:9', requestTimeout: 500 });
    await vi.waitFor(
      () =>
        expect(
          anomalies(bus).some((a) => a.kind === 'unreachable'),
          `unreachable anomaly; anomalies: ${dump()}`,
        ).toBe(true),
      { timeout: 15_000, interval: 20 },
    );
    expect(anomalies(bus)[0]!.code).toBe('HTTP_UNREACHABLE');
    await c.stop();
    await fake.start();
  });

  it('rejects bad configuration with ConfigError', () => {
    expect(() => createRekorCollector({ url: 'not a url', publicKey: rec.publicKey }, ctx(bus))).toThrow(ConfigError);
    expect(() => createRekorCollector({ url: fake.url, publicKey: 'nope' }, ctx(bus))).toThrowWithCode(ConfigError, 'CONFIG_INVALID');
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    expect(() => createRekorCollector({ url: fake.url, publicKey: broken }, ctx(bus))).toThrow(ConfigError);
  });

  it('refuses a key type no transparency log uses with a ConfigError on publicKey', () => {
    const ed448 = generateKeyPairSync('ed448').publicKey.export({ format: 'pem', type: 'spki' }) as string;
    let thrown: unknown;
    try {
      createRekorCollector({ url: fake.url, publicKey: ed448 }, ctx(bus));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe('CONFIG_INVALID');
    expect((thrown as ConfigError).issues.map((i) => i.path)).toEqual(['collectors.rekor[].publicKey']);
  });
});
