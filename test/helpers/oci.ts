import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { service } from './services.js';

/**
 * Images and artifacts in the real OCI registries of scripts/services/ocireg.sh (go-containerregistry's
 * registry, with and without the referrers API), made with the real client tools it builds: crane
 * (push) and oras (attach a referrer). Every image is unique (a random file in its one layer), so
 * tests never see each other's signatures.
 */
export const ocireg = service('CHAINWATCH_TEST_OCIREG_HOST', 'OCI registry with the referrers API (ggcr)');
export const ociregNoReferrers = service('CHAINWATCH_TEST_OCIREG_NOREF_HOST', 'OCI registry without the referrers API (ggcr)');
/** cosign v3 (scripts/services/cosign.sh, the trust helper's build). */
export const cosign = service('CHAINWATCH_TEST_COSIGN', 'cosign');

const run = promisify(execFile);

function tool(name: 'CHAINWATCH_CRANE' | 'CHAINWATCH_ORAS'): string {
  const bin = process.env[name];
  if (!bin) throw new Error(`${name} is unset (scripts/services/ocireg.sh exports it)`);
  return bin;
}

/** Pushes a fresh one-layer image as registry/repo:tag with crane; returns its manifest digest. */
export async function pushImage(registry: string, repo: string, tag: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-oci-'));
  writeFileSync(join(dir, 'hello.txt'), `chainwatch test image ${randomBytes(16).toString('hex')}\n`);
  await run('tar', ['-C', dir, '-czf', join(dir, 'layer.tar.gz'), 'hello.txt']);
  // crane speaks plain http to 127.0.0.1 by itself.
  await run(tool('CHAINWATCH_CRANE'), ['append', '-f', join(dir, 'layer.tar.gz'), '-t', `${registry}/${repo}:${tag}`]);
  const { stdout } = await run(tool('CHAINWATCH_CRANE'), ['digest', `${registry}/${repo}:${tag}`]);
  return stdout.trim();
}

/** Tags an existing digest once more (crane tag). */
export async function tagImage(registry: string, repo: string, digest: string, tag: string): Promise<void> {
  await run(tool('CHAINWATCH_CRANE'), ['tag', `${registry}/${repo}@${digest}`, tag]);
}

/** Attaches a CycloneDX SBOM to registry/repo@digest with oras (a referrer); returns the referrer's manifest digest. */
export async function attachSbom(registry: string, repo: string, digest: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sbom-'));
  writeFileSync(
    join(dir, 'sbom.json'),
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', serialNumber: `urn:uuid:${crypto.randomUUID()}`, components: [] }),
  );
  const { stdout } = await run(
    tool('CHAINWATCH_ORAS'),
    [
      'attach',
      '--plain-http',
      '--format',
      'json',
      '--artifact-type',
      'application/vnd.cyclonedx+json',
      `${registry}/${repo}@${digest}`,
      'sbom.json:application/vnd.cyclonedx+json',
    ],
    { cwd: dir },
  );
  return (JSON.parse(stdout) as { digest: string }).digest;
}

/** A fetch that counts the requests it forwards (per path), to prove what was NOT fetched. */
export function countingFetch(): { fetch: typeof fetch; count: () => number; paths: string[] } {
  const paths: string[] = [];
  return {
    fetch: (input, init) => {
      paths.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return fetch(input, init);
    },
    count: () => paths.length,
    paths,
  };
}

/** A cosign key pair (no password) in a fresh directory: { dir, key, pub }. */
export async function cosignKeyPair(): Promise<{ dir: string; key: string; pub: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cosign-'));
  await run(cosign.value!, ['generate-key-pair'], { cwd: dir, env: { ...process.env, COSIGN_PASSWORD: '' } });
  return { dir, key: join(dir, 'cosign.key'), pub: join(dir, 'cosign.pub') };
}

/** The local Rekor (scripts/services/rekor.sh) cosign uploads to, and the log key it checks the answer with. */
export interface RekorTarget {
  url: string;
  /** PEM file of the log's public key (CHAINWATCH_TEST_REKOR_PUBKEY). */
  publicKey: string;
}
/** The target for a suite that declares Rekor itself (here it would start Rekor for every suite importing this helper). */
export const rekorTarget = (url: string): RekorTarget => ({ url, publicKey: process.env.CHAINWATCH_TEST_REKOR_PUBKEY ?? '' });

/**
 * Offline (no Fulcio/Rekor; cosign v3 needs --use-signing-config=false for --tlog-upload=false), or
 * logged in the given Rekor: the signing config is off so --rekor-url is used, and
 * SIGSTORE_REKOR_PUBLIC_KEY makes cosign trust that log instead of the public one from TUF.
 */
function signingArgs(rekor: RekorTarget | undefined): { args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ...process.env, COSIGN_PASSWORD: '' };
  if (!rekor) return { args: ['--yes', '--use-signing-config=false', '--tlog-upload=false', '--allow-http-registry'], env };
  return {
    args: ['--yes', '--use-signing-config=false', '--tlog-upload=true', '--rekor-url', rekor.url, '--allow-http-registry'],
    env: { ...env, SIGSTORE_REKOR_PUBLIC_KEY: rekor.publicKey },
  };
}

/**
 * Signs registry/repo@digest with a key, offline or logged in `rekor`. `legacy`: the
 * `sha256-<hex>.sig` tag (cosign v2 layout, the SET in an annotation); else cosign v3's Sigstore
 * bundle as an OCI referrer (SET and inclusion proof in the bundle).
 */
export async function cosignSign(ref: string, key: string, legacy: boolean, rekor?: RekorTarget): Promise<void> {
  const { args, env } = signingArgs(rekor);
  await run(cosign.value!, ['sign', ...args, '--key', key, ...(legacy ? ['--new-bundle-format=false'] : []), ref], { env });
}

/** A CycloneDX component of an attested SBOM (an SPDX licence id when given). */
export interface SbomComponent {
  name: string;
  version: string;
  licence?: string;
}
const LEFT_PAD: SbomComponent[] = [{ name: 'left-pad', version: '1.3.0' }];

/** Attests a CycloneDX predicate (these components) for registry/repo@digest with a key (`legacy`: the `.att` tag). */
export async function cosignAttestSbom(ref: string, key: string, legacy: boolean, components: SbomComponent[] = LEFT_PAD, rekor?: RekorTarget): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-att-'));
  const predicate = join(dir, 'sbom.json');
  writeFileSync(
    predicate,
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: components.map((c) => ({
        type: 'library',
        name: c.name,
        version: c.version,
        ...(c.licence ? { licenses: [{ license: { id: c.licence } }] } : {}),
      })),
    }),
  );
  const { args, env } = signingArgs(rekor);
  await run(
    cosign.value!,
    ['attest', ...args, '--key', key, '--type', 'cyclonedx', '--predicate', predicate, ...(legacy ? ['--new-bundle-format=false'] : []), ref],
    { env },
  );
}
