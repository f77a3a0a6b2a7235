import { describe, expect, it } from 'vitest';
import { OciTagCache, type TagCacheOptions } from '../collectors/shared/oci/index.js';
import { freePort } from '../core/testing/index.js';
import { ocireg, pushImage } from './helpers/oci.js';

/**
 * The one tag -> digest cache (admission and the cluster watch) against the REAL registry
 * (scripts/services/ocireg.sh), with a settable clock for the TTLs: a tag moved by a push is seen
 * only once its entry expired; "no such tag" and failures are remembered only when the caller asks
 * for it (the watch), and an aborted lookup (admission's deadline) never is.
 */
const repo = (name: string): string => `cw/tag-cache-${name}-${Date.now().toString(36)}`;

function cache(over: Partial<TagCacheOptions> = {}): { c: OciTagCache; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  const c = new OciTagCache({ registries: {}, ttl: 60_000, failureTtl: 0, timeoutMs: 5_000, retry: { maxAttempts: 1 }, now: () => clock.ms, ...over });
  return { c, clock };
}

describe.skipIf(ocireg.skip)('OciTagCache against go-containerregistry', () => {
  const host = (): string => ocireg.value!;

  it('resolves a tag, answers from memory until the TTL ends, then sees where the tag points now', async () => {
    const r = repo('ttl');
    const first = await pushImage(host(), r, 'v1');
    const { c, clock } = cache();
    expect(await c.resolve(host(), r, 'v1')).toEqual({ result: 'resolved', digest: first, cached: false });
    const second = await pushImage(host(), r, 'v1');
    expect(second).not.toBe(first);
    expect(await c.resolve(host(), r, 'v1')).toEqual({ result: 'resolved', digest: first, cached: true });
    clock.ms += 60_000;
    expect(await c.resolve(host(), r, 'v1')).toEqual({ result: 'resolved', digest: second, cached: false });
  });

  it('a missing tag is remembered for failureTtl only (0: asked again every time)', async () => {
    const r = repo('missing');
    await pushImage(host(), r, 'v1');
    const never = cache().c;
    expect(await never.resolve(host(), r, 'nope')).toEqual({ result: 'not_found', cached: false });
    expect(await never.resolve(host(), r, 'nope')).toEqual({ result: 'not_found', cached: false });
    const { c, clock } = cache({ failureTtl: 30_000 });
    expect(await c.resolve(host(), r, 'nope')).toEqual({ result: 'not_found', cached: false });
    expect(await c.resolve(host(), r, 'nope')).toEqual({ result: 'not_found', cached: true });
    clock.ms += 30_000;
    expect(await c.resolve(host(), r, 'nope')).toEqual({ result: 'not_found', cached: false });
  });

  it('a registry that is down: an error outcome (never a throw), remembered for failureTtl; an aborted lookup is not remembered', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const { c } = cache({ failureTtl: 30_000 });
    const aborted = await c.resolve(down, 'cw/x', 'v1', AbortSignal.abort());
    expect(aborted).toMatchObject({ result: 'error', cached: false });
    const failed = await c.resolve(down, 'cw/x', 'v1');
    expect(failed).toMatchObject({ result: 'error', cached: false });
    expect(await c.resolve(down, 'cw/x', 'v1')).toMatchObject({ result: 'error', cached: true });
  });
});
