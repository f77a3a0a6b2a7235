import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_JSON, type RecordingServer, startRecordingProxy, startRecordingServer } from './index.js';

describe('RecordingServer', () => {
  const started: RecordingServer[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });
  const track = (s: RecordingServer): RecordingServer => (started.push(s), s);

  it('records each request with its body, JSON and the status answered; scripted faults come first', async () => {
    const s = track(await startRecordingServer((req) => ({ status: 201, body: { echo: req.json } })));
    s.failNext(1, { status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
    const first = await fetch(`${s.url}/a?x=1`, { method: 'POST', body: '{"k":1}' });
    expect([first.status, first.headers.get('retry-after'), await first.text()]).toEqual([429, '7', 'slow down']);
    const second = await fetch(`${s.url}/b`, { method: 'POST', body: 'not json' });
    expect(await second.json()).toEqual({});
    expect(s.requests.map((r) => [r.method, r.url, r.path, r.query.get('x'), r.body, r.status])).toEqual([
      ['POST', '/a?x=1', '/a', '1', '{"k":1}', 429],
      ['POST', '/b', '/b', null, 'not json', 201],
    ]);
    expect(s.requests[0]!.json).toEqual({ k: 1 });
    expect(s.requests[1]!.json).toBe(INVALID_JSON);
  });

  it('a handler that throws answers 500', async () => {
    const s = track(
      await startRecordingServer(() => {
        throw new Error('boom');
      }),
    );
    expect((await fetch(s.url)).status).toBe(500);
    expect(s.requests[0]!.status).toBe(500);
  });

  it('the proxy forwards and records, and answers 502 while the target is down', async () => {
    const target = track(
      await startRecordingServer((req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: `{"got":${JSON.stringify(req.body)}}` })),
    );
    const proxy = track(await startRecordingProxy(target.url));
    const res = await fetch(`${proxy.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([200, 'application/json', { got: '[]' }]);
    await target.stop();
    expect((await fetch(`${proxy.url}/x`)).status).toBe(502);
    expect(proxy.requests.map((r) => r.status)).toEqual([200, 502]);
  });
});
