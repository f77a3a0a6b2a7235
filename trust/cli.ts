import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { ChainwatchError, describeError } from '../core/errors.js';
import { TlogError } from '../core/tlog/index.js';
import { verifyBundle, type ArtifactInput, type BundlePolicy } from './bundle.js';
import { verifyCheckpoint } from './checkpoint.js';
import { logKeys } from './log-keys.js';
import { loadTrustedRoot, type TufOptions } from './trusted-root.js';

/**
 * The Sigstore conformance CLI commands (sigstore-conformance docs/cli_protocol.md), as functions
 * the daemon's `chainwatch <cmd>` dispatcher calls. argv excludes the command name. Exit codes:
 * 0 verified, 1 verification failed (one-line reason on stderr), 2 usage error.
 */
export interface CommandIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** TUF settings for the default production root; `false` skips TUF (embedded root only). */
  tuf?: TufOptions | false;
  /** Staging TUF root.json, needed for --staging without --trusted-root (no staging seed ships). */
  stagingTufRootPath?: string;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const VERIFY_BUNDLE_USAGE =
  'usage: verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM) [--trusted-root FILE] FILE_OR_DIGEST';
const VERIFY_CHECKPOINT_USAGE = 'usage: verify-checkpoint [--staging] [--trusted-root FILE] FILE';
const DIGEST = /^sha256:[0-9a-fA-F]{64}$/;

class UsageError extends Error {}

const defaultIO = (): CommandIO => ({ stdout: process.stdout, stderr: process.stderr });

export async function verifyBundleCommand(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  return run('verify-bundle', VERIFY_BUNDLE_USAGE, io, async () => {
    const { values, positionals } = parse(argv, 'verify-bundle', {
      staging: { type: 'boolean', default: false },
      bundle: { type: 'string' },
      'certificate-identity': { type: 'string' },
      'certificate-oidc-issuer': { type: 'string' },
      key: { type: 'string' },
      'trusted-root': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE_OR_DIGEST');
    const bundlePath = str(values.bundle);
    if (!bundlePath) throw new UsageError('--bundle is required');
    const policy = policyFrom(str(values['certificate-identity']), str(values['certificate-oidc-issuer']), str(values.key));

    const trustedRoot = await rootFor(str(values['trusted-root']), values.staging === true, io);
    const bundle = await readText(bundlePath, 'bundle');
    const artifact = await artifactFrom(positionals[0]!);
    const result = verifyBundle({ bundle, artifact, policy: await resolveKey(policy), trustedRoot });
    io.stdout.write(`OK: ${result.identity ?? 'managed key'}\n`);
  });
}

export async function verifyCheckpointCommand(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  return run('verify-checkpoint', VERIFY_CHECKPOINT_USAGE, io, async () => {
    const { values, positionals } = parse(argv, 'verify-checkpoint', {
      staging: { type: 'boolean', default: false },
      'trusted-root': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const trustedRoot = await rootFor(str(values['trusted-root']), values.staging === true, io);
    const input = checkpointInput(await readText(positionals[0]!, 'checkpoint'));
    const { checkpoint: cp, verifiedBy } = verifyCheckpoint(input.note, logKeys(trustedRoot));
    if (input.treeSize !== undefined && String(input.treeSize) !== cp.size.toString()) {
      throw new TlogError('CHECKPOINT_MISMATCH', `checkpoint size ${cp.size} differs from treeSize ${input.treeSize}`);
    }
    if (input.rootHashHex !== undefined && cp.rootHash.toString('hex') !== input.rootHashHex.toLowerCase()) {
      throw new TlogError('CHECKPOINT_MISMATCH', 'checkpoint root hash differs from rootHash');
    }
    io.stdout.write(`OK: ${cp.origin} size ${cp.size} signed by ${verifiedBy.baseUrl ?? 'the configured key'}\n`);
  });
}

/** Runs a command body and turns every outcome into an exit code and at most one stderr line. */
async function run(name: string, usage: string, io: CommandIO, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${name}: ${oneLine(err.message)}\n${usage}\n`);
      return EXIT_USAGE;
    }
    const { code, message } = describeError(err);
    io.stderr.write(`${name}: FAILED ${code}: ${oneLine(message)}\n`);
    return EXIT_FAILED;
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse(argv: string[], command: string, options: Options): { values: Record<string, unknown>; positionals: string[] } {
  // Tolerate a dispatcher that passes the command name through.
  const args = argv[0] === command ? argv.slice(1) : argv;
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (err) {
    throw new UsageError(describeError(err).message);
  }
}

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

async function rootFor(path: string | undefined, staging: boolean, io: CommandIO): Promise<TrustedRoot> {
  if (path !== undefined) return (await loadTrustedRoot({ kind: 'file', path })).root;
  if (staging) {
    return (await loadTrustedRoot({ kind: 'staging', ...(io.stagingTufRootPath ? { tufRootPath: io.stagingTufRootPath } : {}) })).root;
  }
  return (await loadTrustedRoot({ kind: 'production', ...(io.tuf !== undefined ? { tuf: io.tuf } : {}) })).root;
}

async function artifactFrom(fileOrDigest: string): Promise<ArtifactInput> {
  // A file that happens to be named like a digest wins, as in the reference clients.
  if (DIGEST.test(fileOrDigest) && !existsSync(fileOrDigest)) return { digest: fileOrDigest.toLowerCase() };
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

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();
