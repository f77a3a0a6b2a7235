import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { toTrustMaterial } from '@sigstore/verify';
import { describeError } from '../core/index.js';
import { TrustError } from './errors.js';
import { logKeyFromPem } from './log-keys.js';

/**
 * Where a Sigstore TrustedRoot (protobuf-specs JSON) comes from:
 * - production: TUF (tuf-repo-cdn.sigstore.dev) with a short timeout, falling back OFFLINE to the
 *   trusted_root.json target that @sigstore/tuf ships in its seeds.json;
 * - staging: TUF (tuf-repo-cdn.sigstage.dev) — needs the staging TUF root.json, because the seeds
 *   carry production only; there is no offline staging fallback;
 * - file: a private or pinned root by path (also what --trusted-root uses).
 */
export type TrustedRootSource =
  { kind: 'production'; tuf?: TufOptions | false } | { kind: 'staging'; tufRootPath?: string; tuf?: TufOptions } | { kind: 'file'; path: string };

export interface TufOptions {
  /** Whole-refresh budget; TUF talks to a CDN, so a slow answer is treated as no answer. */
  timeoutMs?: number;
  /** TUF metadata cache; defaults to @sigstore/tuf's per-user cache directory. */
  cachePath?: string;
  mirrorURL?: string;
}

export interface LoadedTrustedRoot {
  root: TrustedRoot;
  origin: 'tuf' | 'embedded' | 'file';
  /** Why TUF was not used when the production root came from the embedded seed. */
  fallbackReason?: string;
}

export const PRODUCTION_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';
export const STAGING_TUF_URL = 'https://tuf-repo-cdn.sigstage.dev';
const DEFAULT_TUF_TIMEOUT_MS = 5_000;
const MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.trustedroot';

export async function loadTrustedRoot(source: TrustedRootSource): Promise<LoadedTrustedRoot> {
  switch (source.kind) {
    case 'file':
      return { root: await readTrustedRootFile(source.path), origin: 'file' };
    case 'production': {
      if (source.tuf === false) return { root: embeddedProductionRoot(), origin: 'embedded' };
      try {
        return { root: await fetchTrustedRootViaTuf({ mirrorURL: PRODUCTION_TUF_URL, ...source.tuf }), origin: 'tuf' };
      } catch (err) {
        // A root that TUF delivered but that fails validation is not an outage: surface it.
        if (!(err instanceof TrustError) || err.code !== 'TUF_UNAVAILABLE') throw err;
        // Offline (or the CDN is down): the root shipped with @sigstore/tuf is still signed
        // material we already trust; it may lack keys rotated in after the package was built.
        return { root: embeddedProductionRoot(), origin: 'embedded', fallbackReason: err.message };
      }
    }
    case 'staging': {
      if (!source.tufRootPath) {
        throw new TrustError(
          'TRUST_ROOT_UNAVAILABLE',
          'no embedded staging root: pass a staging trusted_root.json (--trusted-root) or a staging TUF root.json',
        );
      }
      const root = await fetchTrustedRootViaTuf({ mirrorURL: STAGING_TUF_URL, ...source.tuf, rootPath: source.tufRootPath });
      return { root, origin: 'tuf' };
    }
  }
}

export async function readTrustedRootFile(path: string): Promise<TrustedRoot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TrustError('TRUST_ROOT_UNREADABLE', `cannot read trusted root ${path}`, err);
  }
  return parseTrustedRoot(text, path);
}

/** The production root embedded in @sigstore/tuf's seeds.json (no network). */
export function embeddedProductionRoot(): TrustedRoot {
  const from = '@sigstore/tuf seeds.json';
  let seeds: unknown;
  try {
    const path = fileURLToPath(import.meta.resolve('@sigstore/tuf/seeds.json'));
    seeds = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TrustError('TRUST_ROOT_UNREADABLE', `cannot read ${from}`, err);
  }
  const target = (seeds as Record<string, { targets?: Record<string, string> }>)[PRODUCTION_TUF_URL]?.targets?.['trusted_root.json'];
  if (typeof target !== 'string') {
    throw new TrustError('TRUST_ROOT_UNAVAILABLE', `${from} has no trusted_root.json target for ${PRODUCTION_TUF_URL}`);
  }
  return parseTrustedRoot(Buffer.from(target, 'base64').toString('utf8'), from);
}

export async function fetchTrustedRootViaTuf(opts: TufOptions & { mirrorURL: string; rootPath?: string }): Promise<TrustedRoot> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TUF_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TUF refresh exceeded ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    const root = await Promise.race([
      getTrustedRoot({
        mirrorURL: opts.mirrorURL,
        ...(opts.rootPath ? { rootPath: opts.rootPath } : {}),
        ...(opts.cachePath ? { cachePath: opts.cachePath } : {}),
        timeout: timeoutMs,
        retry: false,
      }),
      deadline,
    ]);
    // TUF vouches for the bytes, not for their shape: validate like any other root.
    return parseTrustedRoot(JSON.stringify(TrustedRoot.toJSON(root)), `TUF ${opts.mirrorURL}`);
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError('TUF_UNAVAILABLE', `TUF refresh from ${opts.mirrorURL} failed: ${describeError(err).message}`, err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A root that also trusts these transparency logs (e.g. a private Rekor: its URL and the PEM key it
 * serves at /api/v1/log/publicKey): their SETs, inclusion proofs and checkpoints verify like the
 * root's own logs'. Checkpoint signatures are matched to a log by the signer name its URL contains
 * (Rekor signs under its --rekor_server.hostname). The base is not modified; without one, the root
 * holds only these logs (key-based signatures need no CA). Throws TlogError KEY_MALFORMED /
 * KEY_UNSUPPORTED for a key that is not a log key.
 */
export function withLogKeys(base: TrustedRoot | undefined, logs: ReadonlyArray<{ url: string; publicKeyPem: string }>): TrustedRoot {
  const tlogs = logs.map(({ url, publicKeyPem }) => {
    const k = logKeyFromPem(publicKeyPem);
    return {
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: k.spki.toString('base64'), keyDetails: k.keyDetails, validFor: { start: '1970-01-01T00:00:00Z' } },
      logId: { keyId: k.logId.base64 },
    };
  });
  const mediaType = `${MEDIA_TYPE_PREFIX}+json;version=0.1`;
  const added = TrustedRoot.fromJSON({ mediaType, tlogs }).tlogs;
  const root = base ?? TrustedRoot.fromJSON({ mediaType, tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [] });
  return { ...root, tlogs: [...root.tlogs, ...added] };
}

/**
 * Parses and checks a trusted root. TrustedRoot.fromJSON accepts almost anything (missing fields
 * become defaults), and a default is dangerous here: a validity window without its start would
 * read as "valid since the epoch". So the required pieces are checked on the raw JSON first.
 */
export function parseTrustedRoot(text: string, from: string): TrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrustError('TRUST_ROOT_INVALID', `${from}: not JSON`, err);
  }
  const problem = findProblem(json);
  if (problem) throw new TrustError('TRUST_ROOT_INVALID', `${from}: ${problem}`);
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
    // Building the trust material parses every key and certificate once, up front.
    toTrustMaterial(root);
  } catch (err) {
    throw new TrustError('TRUST_ROOT_INVALID', `${from}: ${describeError(err).message}`, err);
  }
  return root;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function findProblem(json: unknown): string | undefined {
  if (!isObj(json)) return 'not a JSON object';
  if (typeof json.mediaType !== 'string' || !json.mediaType.startsWith(MEDIA_TYPE_PREFIX)) {
    return `unsupported mediaType ${JSON.stringify(json.mediaType)}`;
  }
  for (const field of ['tlogs', 'ctlogs', 'certificateAuthorities', 'timestampAuthorities']) {
    if (json[field] !== undefined && !Array.isArray(json[field])) return `${field} is not a list`;
  }
  const logs = [
    ...((json.tlogs as unknown[]) ?? []).map((l) => ['tlogs', l] as const),
    ...((json.ctlogs as unknown[]) ?? []).map((l) => ['ctlogs', l] as const),
  ];
  for (const [field, log] of logs) {
    if (!isObj(log) || !isObj(log.publicKey) || typeof log.publicKey.rawBytes !== 'string' || !log.publicKey.rawBytes) {
      return `${field}: entry without publicKey.rawBytes`;
    }
    if (!isObj(log.logId) || typeof log.logId.keyId !== 'string') return `${field}: entry without logId.keyId`;
    const bad = checkTimeRange(log.publicKey.validFor);
    if (bad) return `${field} ${String(log.baseUrl)}: publicKey.validFor ${bad}`;
  }
  const authorities = [...((json.certificateAuthorities as unknown[]) ?? []), ...((json.timestampAuthorities as unknown[]) ?? [])];
  for (const ca of authorities) {
    if (!isObj(ca) || !isObj(ca.certChain) || !Array.isArray(ca.certChain.certificates) || ca.certChain.certificates.length === 0) {
      return 'certificate authority without certChain.certificates';
    }
    const bad = checkTimeRange(ca.validFor);
    if (bad) return `authority ${String(ca.uri)}: validFor ${bad}`;
  }
  return undefined;
}

/**
 * TimeRange: `start` is required, `end` optional (open-ended). An end before the start is legal
 * (upstream roots retire a key that way) and simply matches no time.
 */
function checkTimeRange(range: unknown): string | undefined {
  if (range === undefined || range === null) return undefined;
  if (!isObj(range)) return 'is not an object';
  const start = typeof range.start === 'string' ? Date.parse(range.start) : NaN;
  if (Number.isNaN(start)) return 'has no valid start';
  // Python-written roots spell an open end as null.
  if (range.end === undefined || range.end === null) return undefined;
  const end = typeof range.end === 'string' ? Date.parse(range.end) : NaN;
  if (Number.isNaN(end)) return 'has an invalid end';
  return undefined;
}
