import { z } from 'zod';
import { type Component, type ComponentContext, configFingerprint, defineModule, safeUrl } from '../../core/index.js';
import { rekorCollectorFrom } from './collector.js';
import { rekorCollectorConfigSchema } from './config.js';

/**
 * `collectors.rekor`: one entry per followed log and vantage point. Without `publicKey`, the log
 * key comes from a Sigstore trusted root: `trustedRoot` (a file), else the production root via
 * TUF, falling back offline to the root embedded in @sigstore/tuf.
 */
export const rekorSectionSchema = z
  .array(
    rekorCollectorConfigSchema.extend({
      publicKey: rekorCollectorConfigSchema.shape.publicKey.optional(),
      trustedRoot: z.string().min(1).optional(),
    }),
  )
  .superRefine((logs, ctx) => {
    // Components are named by vantage and log URL: two entries naming the same pair would be one.
    const seen = new Map<string, number>();
    logs.forEach((l, i) => {
      const name = componentName(l);
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'url'], message: `follows the same log from the same vantage as entry ${seen.get(name)}` });
      else seen.set(name, i);
    });
  })
  .default([]);
export type RekorSection = z.output<typeof rekorSectionSchema>;

export const rekorModule = defineModule({
  id: 'collectors.rekor',
  summary: 'Follows Rekor v1 and tile-based (v2) transparency logs and publishes every verified entry',
  section: { group: 'collectors', key: 'rekor', schema: rekorSectionSchema },
  components: (logs) =>
    logs.map((log) => ({
      name: componentName(log),
      kind: 'collector' as const,
      fingerprint: configFingerprint(log),
      create: (ctx: ComponentContext) => withTrustedKey(log, ctx),
    })),
});

const componentName = (log: { vantage: string; url: string }): string => `collector.rekor:${log.vantage}:${safeUrl(log.url)}`;

/** The collector, once its log key is known (from config, or from the trusted root at start). */
function withTrustedKey(entry: RekorSection[number], ctx: ComponentContext): Component {
  let inner: Component | undefined;
  let stopped = false;
  let starting: Promise<void> | undefined;
  return {
    name: componentName(entry),
    start() {
      starting ??= (async () => {
        const { trustedRoot, publicKey, ...rest } = entry;
        let key = publicKey;
        if (!key) {
          const { loadTrustedRoot, logKeyForUrl } = await import('../../trust/index.js');
          const { root, origin } = await loadTrustedRoot(trustedRoot ? { kind: 'file', path: trustedRoot } : { kind: 'production' });
          key = logKeyForUrl(root, entry.url).publicKeyPem;
          ctx.logger.info({ url: safeUrl(entry.url), trustedRoot: trustedRoot ?? origin }, 'log key taken from the trusted root');
        }
        // stop() came while the trusted root loaded: start nothing that nobody would stop.
        if (stopped) return;
        inner = rekorCollectorFrom({ ...rest, publicKey: key }, ctx);
        await inner.start();
      })();
      return starting;
    },
    async stop() {
      stopped = true;
      await starting?.catch(() => undefined);
      await inner?.stop();
    },
    async flush() {
      await inner?.flush();
    },
    health: () => inner?.health?.() ?? { ready: inner !== undefined },
  };
}
