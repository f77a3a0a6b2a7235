import type { Command } from '../command.js';

// Sigstore conformance CLI protocol: the argv after the command word goes to trust/ untouched.
// trust/ (and the Sigstore libraries) load only when one of these commands runs.
export const verifyBundle: Command = {
  name: 'verify-bundle',
  summary: 'Verify a Sigstore bundle (conformance CLI protocol); exit 0 only when verified',
  usage: `chainwatch verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM) [--trusted-root FILE] FILE_OR_DIGEST

  FILE_OR_DIGEST: the artifact's path, or sha256:<hex>. Trusted root: --trusted-root, else the
  production root via TUF (offline: the root embedded in @sigstore/tuf). See docs/sigstore.md.`,
  rawArgs: true,
  run: async ({ argv }, io) => (await import('../../../trust/index.js')).verifyBundleCommand(argv, io),
};

export const verifyCheckpoint: Command = {
  name: 'verify-checkpoint',
  summary: 'Verify a transparency-log checkpoint (signed note) with the log keys of a trusted root',
  usage: `chainwatch verify-checkpoint FILE [--trusted-root FILE] [--staging]

  Exit 0 when a transparency-log key of the root verifies the checkpoint.`,
  rawArgs: true,
  run: async ({ argv }, io) => (await import('../../../trust/index.js')).verifyCheckpointCommand(argv, io),
};
