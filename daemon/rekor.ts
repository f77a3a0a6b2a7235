import { z } from 'zod';
import { createRekorCollector, rekorCollectorConfigSchema } from '../collectors/rekor/index.js';
import type { Component, ComponentContext } from '../core/index.js';

/**
 * `collectors.rekor`: one entry per followed log and vantage point. Without `publicKey`, the log
 * key comes from a Sigstore trusted root: `trustedRoot` (a file), else the production root via
 * TUF, falling back offline to the root embedded in @sigstore/tuf.
 */
export const rekorSectionSchema = z.array(
  rekorCollectorConfigSchema.extend({
    publicKey: rekorCollectorConfigSchema.shape.publicKey.optional(),
    trustedRoot: z.string().min(1).optional(),
  }),
);
export type RekorSection = z.output<typeof rekorSectionSchema>;

export function createRekor(entry: RekorSection[number], ctx: ComponentContext): Component {
  const name = `collector.rekor:${entry.vantage}:${entry.url}`;
  let inner: Component | undefined;
  return {
    name,
    async start() {
      const { trustedRoot, publicKey, ...rest } = entry;
      let key = publicKey;
      if (!key) {
        const { loadTrustedRoot, logKeyForUrl } = await import('../trust/index.js');
        const { root, origin } = await loadTrustedRoot(trustedRoot ? { kind: 'file', path: trustedRoot } : { kind: 'production' });
        key = logKeyForUrl(root, entry.url).publicKeyPem;
        ctx.logger.info({ url: entry.url, trustedRoot: trustedRoot ?? origin }, 'log key taken from the trusted root');
      }
      inner = createRekorCollector({ ...rest, publicKey: key }, ctx);
      await inner.start();
    },
    async stop() {
      await inner?.stop();
    },
    async flush() {
      await inner?.flush();
    },
    health: () => inner?.health?.() ?? { ready: inner !== undefined },
  };
}
