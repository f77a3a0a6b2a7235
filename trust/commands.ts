import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { ChainwatchError, type CommandSpec, EXIT, runCommand, UsageError } from '../core/index.js';
import { TlogError } from '../core/tlog/index.js';
import type { ArtifactInput, BundlePolicy } from './bundle.js';
import { looksLikeDigest, parseDigest } from './digest.js';
import { TrustError } from './errors.js';
import type { TufOptions } from './trusted-root.js';

/**
 * The Sigstore conformance CLI commands (sigstore-conformance docs/cli_protocol.md) as CommandSpecs:
 * `chainwatch verify-bundle` and `chainwatch verify-checkpoint`. Exit codes: 0 verified, 1
 * verification failed (one line naming the code on stderr), 2 usage error. The Sigstore
 * libraries load only when one of these commands runs (dynamic imports below), not with the CLI.
 */
export interface TrustCommandOptions {
  /** TUF settings for the default production root; `false` skips TUF (embedded root only). */
  tuf?: TufOptions | false;
  /** Staging TUF root.json, needed for --staging without --trusted-root (no staging seed ships). */
  stagingTufRootPath?: string;
}

const rootOptions = {
  staging: { type: 'boolean', description: "Sigstore's staging instance instead of production (needs --trusted-root or --staging-tuf-root)" },
  'staging-tuf-root': {
    type: 'string',
    placeholder: 'FILE',
    description: "with --staging: the staging TUF root.json, so TUF can fetch staging's trusted root",
  },
  'trusted-root': { type: 'string', placeholder: 'FILE', description: 'trusted_root.json (default: production via TUF, offline the embedded root)' },
} as const;

export function trustCommands(opts: TrustCommandOptions = {}): CommandSpec[] {
  const rootFor = async (options: Readonly<Record<string, unknown>>): Promise<TrustedRoot> => {
    const { loadTrustedRoot } = await import('./trusted-root.js');
    const path = options['trusted-root'] as string | undefined;
    if (path !== undefined) return (await loadTrustedRoot({ kind: 'file', path })).root;
    if (options.staging === true) return stagingRoot((options['staging-tuf-root'] as string | undefined) ?? opts.stagingTufRootPath, opts.tuf);
    return (await loadTrustedRoot({ kind: 'production', ...(opts.tuf !== undefined ? { tuf: opts.tuf } : {}) })).root;
  };

  const verifyBundleSpec: CommandSpec = {
    name: 'verify-bundle',
    summary: 'Verify a Sigstore bundle (conformance CLI protocol); exit 0 only when verified',
    args: [{ name: 'FILE_OR_DIGEST', description: "the artifact's path, or its digest as sha256:<hex> (sha384:, sha512: when the bundle signs those)" }],
    options: {
      bundle: { type: 'string', placeholder: 'FILE', description: 'the Sigstore bundle (required)' },
      'certificate-identity': { type: 'string', placeholder: 'ID', description: 'expected signer identity (SAN) of a keyless signature' },
      'certificate-oidc-issuer': { type: 'string', placeholder: 'URL', description: 'expected OIDC issuer of a keyless signature' },
      key: { type: 'string', placeholder: 'PEM', description: 'a public key file instead of a keyless identity' },
      ...rootOptions,
    },
    json: true,
    description: 'See docs/sigstore.md.',
    async run(inv) {
      const o = inv.options;
      const bundlePath = o.bundle as string | undefined;
      if (!bundlePath) throw new UsageError('--bundle is required');
      const policy = policyFrom(
        o['certificate-identity'] as string | undefined,
        o['certificate-oidc-issuer'] as string | undefined,
        o.key as string | undefined,
      );
      const trustedRoot = await rootFor(o);
      const bundle = await readText(bundlePath, 'bundle');
      const artifact = await artifactFrom(inv.args[0]!);
      const { verifyBundle } = await import('./bundle.js');
      const result = verifyBundle({ bundle, artifact, policy: await resolveKey(policy), trustedRoot });
      inv.io.out(
        inv.json
          ? JSON.stringify({ verified: true, identity: result.identity ?? null, issuer: result.issuer ?? null })
          : `OK: ${result.identity ?? 'managed key'}`,
      );
      return EXIT.ok;
    },
  };

  const verifyCheckpointSpec: CommandSpec = {
    name: 'verify-checkpoint',
    summary: 'Verify a transparency-log checkpoint (signed note) with the log keys of a trusted root',
    args: [{ name: 'FILE', description: "a signed note, Rekor's GET /api/v1/log JSON, or a bundle" }],
    options: rootOptions,
    json: true,
    description: 'Exit 0 when a transparency-log key of the root verifies the checkpoint.',
    async run(inv) {
      const trustedRoot = await rootFor(inv.options);
      const input = checkpointInput(await readText(inv.args[0]!, 'checkpoint'));
      const [{ verifyCheckpoint }, { logKeys }] = await Promise.all([import('./checkpoint.js'), import('./log-keys.js')]);
      const { checkpoint: cp, verifiedBy } = verifyCheckpoint(input.note, logKeys(trustedRoot));
      if (input.treeSize !== undefined && String(input.treeSize) !== cp.size.toString()) {
        throw new TlogError('CHECKPOINT_MISMATCH', `checkpoint size ${cp.size} differs from treeSize ${input.treeSize}`);
      }
      if (input.rootHashHex !== undefined && cp.rootHash.toString('hex') !== input.rootHashHex.toLowerCase()) {
        throw new TlogError('CHECKPOINT_MISMATCH', 'checkpoint root hash differs from rootHash');
      }
      inv.io.out(
        inv.json
          ? JSON.stringify({ verified: true, origin: cp.origin, size: cp.size, rootHash: cp.rootHash.toString('hex'), log: verifiedBy.baseUrl ?? null })
          : `OK: ${cp.origin} size ${cp.size} signed by ${verifiedBy.baseUrl ?? 'the configured key'}`,
      );
      return EXIT.ok;
    },
  };
  return [verifyBundleSpec, verifyCheckpointSpec];
}

/**
 * No staging root ships (the TUF seeds carry production only), so --staging needs either the
 * staging trusted_root.json or the staging TUF root.json and a network path to the staging TUF
 * repository. Both failures say so in one line naming the fix.
 */
async function stagingRoot(tufRootPath: string | undefined, tuf: TufOptions | false | undefined): Promise<TrustedRoot> {
  const { loadTrustedRoot, STAGING_TUF_URL } = await import('./trusted-root.js');
  if (tufRootPath === undefined) {
    throw new TrustError(
      'TRUST_ROOT_UNAVAILABLE',
      `--staging cannot work offline without a staging root (none ships): pass --trusted-root with the staging trusted_root.json, or --staging-tuf-root with the staging TUF root.json so TUF can reach ${STAGING_TUF_URL}`,
    );
  }
  try {
    return (await loadTrustedRoot({ kind: 'staging', tufRootPath, ...(tuf ? { tuf } : {}) })).root;
  } catch (err) {
    if (!(err instanceof TrustError) || err.code !== 'TUF_UNAVAILABLE') throw err;
    throw new TrustError(
      'TUF_UNAVAILABLE',
      `--staging could not reach the staging TUF repository ${STAGING_TUF_URL} (offline?): pass --trusted-root with the staging trusted_root.json`,
      err,
    );
  }
}

/** The conformance harness's entry points: argv after the command name, output to two writers. */
export interface CommandIO extends TrustCommandOptions {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

const defaultIO = (): CommandIO => ({ stdout: process.stdout, stderr: process.stderr });

function runWith(index: 0 | 1, argv: string[], io: CommandIO): Promise<number> {
  const spec = trustCommands(io)[index]!;
  // Tolerate a dispatcher that passes the command name through.
  const args = argv[0] === spec.name ? argv.slice(1) : argv;
  return runCommand(spec, args, {
    io: { out: (l) => void io.stdout.write(`${l}\n`), err: (l) => void io.stderr.write(`${l}\n`), stdin: process.stdin, env: process.env },
  });
}

export const verifyBundleCommand = (argv: string[], io: CommandIO = defaultIO()): Promise<number> => runWith(0, argv, io);
export const verifyCheckpointCommand = (argv: string[], io: CommandIO = defaultIO()): Promise<number> => runWith(1, argv, io);

function policyFrom(identity: string | undefined, issuer: string | undefined, key: string | undefined): BundlePolicy {
  if (key !== undefined) {
    if (identity !== undefined || issuer !== undefined) throw new UsageError('--key excludes --certificate-identity/--certificate-oidc-issuer');
    return { key };
  }
  if (identity === undefined || issuer === undefined) {
    throw new UsageError('--certificate-identity and --certificate-oidc-issuer (or --key) are required');
  }
  return { identity, issuer };
}

/** --key names a PEM file; read it once the arguments are known to be well-formed. */
async function resolveKey(policy: BundlePolicy): Promise<BundlePolicy> {
  return 'key' in policy ? { key: await readText(policy.key, 'key') } : policy;
}

async function artifactFrom(fileOrDigest: string): Promise<ArtifactInput> {
  // A file that happens to be named like a digest wins, as in the reference clients.
  if (looksLikeDigest(fileOrDigest) && !existsSync(fileOrDigest)) {
    const parsed = parseDigest(fileOrDigest);
    if ('invalid' in parsed) throw new UsageError(`malformed digest ${JSON.stringify(fileOrDigest)}: ${parsed.invalid}`);
    return { digest: fileOrDigest };
  }
  try {
    return await readFile(fileOrDigest);
  } catch (err) {
    throw new InputError(`cannot read artifact ${fileOrDigest}`, err);
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} ${path}`, err);
  }
}

/** A missing input file is a failed verification (exit 1), not a usage error. */
class InputError extends ChainwatchError<'INPUT_UNREADABLE'> {
  constructor(message: string, cause: unknown) {
    super('INPUT_UNREADABLE', message, { cause });
  }
}

/**
 * What verify-checkpoint accepts: a bare signed note, Rekor's GET /api/v1/log JSON (its
 * signedTreeHead, cross-checked with rootHash/treeSize), or a bundle (the checkpoint of its
 * first tlog entry).
 */
function checkpointInput(text: string): { note: string; rootHashHex?: string; treeSize?: number | string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { note: text };
  }
  const o = json as {
    signedTreeHead?: unknown;
    rootHash?: unknown;
    treeSize?: unknown;
    envelope?: unknown;
    verificationMaterial?: { tlogEntries?: { inclusionProof?: { checkpoint?: { envelope?: unknown } } }[] };
  };
  if (typeof o?.signedTreeHead === 'string') {
    return {
      note: o.signedTreeHead,
      ...(typeof o.rootHash === 'string' ? { rootHashHex: o.rootHash } : {}),
      ...(typeof o.treeSize === 'number' || typeof o.treeSize === 'string' ? { treeSize: o.treeSize } : {}),
    };
  }
  if (typeof o?.envelope === 'string') return { note: o.envelope };
  const fromBundle = o?.verificationMaterial?.tlogEntries?.[0]?.inclusionProof?.checkpoint?.envelope;
  if (typeof fromBundle === 'string') return { note: fromBundle };
  throw new TlogError('CHECKPOINT_MALFORMED', 'JSON input has no signedTreeHead, envelope or bundle checkpoint');
}
