import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollSchema, RegistryPoller } from '../collectors/registry/index.js';
import { type RegistryManifest, topicFor } from '../core/index.js';
import { testContext } from '../core/testing/index.js';
import { pushImage } from './helpers/oci-push.js';
import { service } from './helpers/services.js';

/**
 * The polling fallback against a real registry (distribution 2.8, scripts/services/registry.sh):
 * a pushed tag is found once, an unchanged tag is not published again, a moved tag is.
 */
const registry = service('CHAINWATCH_TEST_REGISTRY_URL', 'container registry (distribution 2.8)');

describe.skipIf(registry.skip)('registry polling fallback', () => {
  it('publishes new and moved tags once, and commits its map only after publishing', async () => {
    const repo = `peers/poll-${Date.now()}`;
    const first = await pushImage(registry.value!, repo, 'v1', `poll layer 1 ${repo}`);
    const ctx = testContext(mkdtempSync(join(tmpdir(), 'cw-registry-poll-')), Date.now());
    const poller = new RegistryPoller(pollSchema.parse({ schedule: '0 0 1 1 *', repositories: [{ url: registry.value!, repository: repo }] }), ctx);
    const manifests = (): RegistryManifest[] => ctx.bus.events(topicFor('registry')).map((e) => e.data as RegistryManifest);

    // The bus refuses: nothing published, nothing committed, so the next poll still finds the tag.
    ctx.bus.failWith = new Error('broker down');
    expect(await poller.pollOnce()).toBe(0);
    expect(await ctx.state.list('registry:poll:')).toEqual([]);
    ctx.bus.failWith = undefined;

    expect(await poller.pollOnce()).toBe(1);
    expect(manifests()[0]).toMatchObject({
      source: 'poll',
      action: 'push',
      image: { registry: new URL(registry.value!).host, repository: repo, tag: 'v1', digest: first.digest },
    });
    expect(await poller.pollOnce()).toBe(0);

    const moved = await pushImage(registry.value!, repo, 'v1', `poll layer 2 ${repo}`);
    await pushImage(registry.value!, repo, 'v2', `poll layer 1 ${repo}`);
    expect(await poller.pollOnce()).toBe(2);
    const got = manifests().map((m) => `${m.image.tag}@${m.image.digest}`);
    expect(got.sort()).toEqual([`v1@${first.digest}`, `v1@${moved.digest}`, `v2@${first.digest}`].sort());
    expect(ctx.metrics.get('registry_poll_failures_total', { repository: repo })).toBe(1);
  });
});
