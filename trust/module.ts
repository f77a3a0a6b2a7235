import { defineModule } from '../core/index.js';
import type { BundleFileFacts, BundleFilesInput } from './bundle-facts.js';
import { trustCommands } from './commands.js';
import { inspectCertCommand } from './inspect.js';

/** trust/ contributes commands only: offline verification of Sigstore bundles and log checkpoints, and certificate inspection. */
export const trustModule = defineModule({
  id: 'trust',
  summary: 'Sigstore bundle and transparency-log checkpoint verification (conformance CLI protocol), X.509 inspection',
  commands: [...trustCommands(), inspectCertCommand],
});

/**
 * Local Sigstore bundles as policy facts (for `chainwatch policy test`, wired in daemon/registry.ts).
 * The Sigstore libraries load only when it is called, not with the CLI.
 */
export async function loadBundleFactsLazily(input: BundleFilesInput): Promise<BundleFileFacts> {
  const { loadBundleFacts } = await import('./bundle-facts.js');
  return loadBundleFacts(input);
}
