import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { authOf, registrySectionSchema } from './config.js';
import { RegistryError } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { parseDistribution, parseGitHub, parseHarbor } from './payloads.js';

const RD = realdata();
const AT = '2026-01-01T00:00:00.000Z';
const D = `sha256:${'a1'.repeat(32)}`;
const input = (json: unknown, headers: Record<string, string> = {}) => ({ json, headers, registry: undefined, receivedAt: AT });

describe('parseJsonBody', () => {
  it('counts nesting outside strings only, and refuses deep or broken bodies with codes', () => {
    expect(parseJsonBody(Buffer.from(JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\"' })))).toEqual({
      s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\"',
    });
    expect(() => parseJsonBody(Buffer.from('{"a":'.repeat(40) + '1' + '}'.repeat(40)))).toThrowWithCode(RegistryError, 'REGISTRY_BODY_TOO_DEEP');
    expect(() => parseJsonBody(Buffer.from('{"a":'))).toThrowWithCode(RegistryError, 'REGISTRY_BODY_MALFORMED');
    expect(() => parseJsonBody(Buffer.from([0xff, 0xfe]))).toThrowWithCode(RegistryError, 'REGISTRY_BODY_MALFORMED');
    expect(() => parseJsonBody(Buffer.alloc(0))).toThrowWithCode(RegistryError, 'REGISTRY_BODY_MALFORMED');
  });
});

describe('distribution', () => {
  it.skipIf(RD.skip)('a delete (the documented target: digest + repository, no media type) is a manifest delete', () => {
    const target = JSON.parse(readFileSync(join(RD.dir, 'webhooks/distribution/delete-target-snippet.json'), 'utf8')) as Record<string, unknown>;
    const ev = { id: 'del-1', timestamp: AT, action: 'delete', ...target, request: { host: 'Registry.Example:5000' } };
    const p = parseDistribution(input({ events: [ev] }));
    expect(p.ignored).toBe(0);
    expect(p.manifests[0]).toMatchObject({ action: 'delete', deliveryId: 'del-1', image: { registry: 'registry.example:5000' } });
  });

  it('refuses a manifest push without a repository or with a digest that is not one', () => {
    const ev = {
      id: 'x',
      timestamp: AT,
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D },
      request: { host: 'r' },
    };
    expect(() => parseDistribution(input({ events: [ev] }))).toThrowWithCode(RegistryError, 'REGISTRY_PAYLOAD_INVALID');
    expect(() => parseDistribution(input({ events: [{ ...ev, target: { ...ev.target, repository: 'a', digest: 'md5:x' } }] }))).toThrowWithCode(
      RegistryError,
      'REGISTRY_PAYLOAD_INVALID',
    );
    expect(() => parseDistribution(input({ events: [{ ...ev, timestamp: 'yesterday' }] }))).toThrowWithCode(RegistryError, 'REGISTRY_PAYLOAD_INVALID');
    expect(() => parseDistribution(input([]))).toThrowWithCode(RegistryError, 'REGISTRY_PAYLOAD_INVALID');
  });
});

describe('harbor', () => {
  const body = (type: string) => ({
    type,
    occur_at: 1586922308,
    operator: 'admin',
    event_data: { resources: [{ digest: D, tag: 'v1', resource_url: 'hub.example.com/p/app:v1' }], repository: { repo_full_name: 'p/app' } },
  });
  it('maps DELETE_ARTIFACT to a delete with a stable id different from the push, and ignores other types', () => {
    const del = parseHarbor(input(body('DELETE_ARTIFACT'))).manifests[0]!;
    const push = parseHarbor(input(body('PUSH_ARTIFACT'))).manifests[0]!;
    expect(del.action).toBe('delete');
    expect(del.deliveryId).toBe(parseHarbor(input(body('DELETE_ARTIFACT'))).manifests[0]!.deliveryId);
    expect(del.deliveryId).not.toBe(push.deliveryId);
    expect(parseHarbor(input(body('SCANNING_COMPLETED')))).toMatchObject({ manifests: [], ignored: 1 });
  });
});

describe('github', () => {
  const pkg = { action: 'published', registry_package: { name: 'app', package_type: 'CONTAINER', owner: { login: 'Acme' }, package_version: { name: D } } };
  const hdr = { 'x-github-event': 'registry_package', 'x-github-delivery': 'gh-1' };
  it('takes the digest from the version name and the repository from the owner, lower case', () => {
    expect(parseGitHub(input(pkg, hdr)).manifests[0]).toMatchObject({
      deliveryId: 'gh-1',
      occurredAt: AT,
      image: { registry: 'ghcr.io', repository: 'acme/app', digest: D },
    });
  });
  it('ignores pings and non-container packages; needs the delivery id', () => {
    expect(parseGitHub(input({ zen: 'x' }, { 'x-github-event': 'ping' }))).toMatchObject({ manifests: [], ignored: 1 });
    expect(parseGitHub(input({ ...pkg, registry_package: { ...pkg.registry_package, package_type: 'npm' } }, hdr)).ignored).toBe(1);
    expect(() => parseGitHub(input(pkg, { 'x-github-event': 'package' }))).toThrowWithCode(RegistryError, 'REGISTRY_PAYLOAD_INVALID');
  });
});

describe('config', () => {
  it('refuses a source without credentials and github without a secret; builds the router auth', () => {
    expect(registrySectionSchema.safeParse({ distribution: {} }).success).toBe(false);
    expect(registrySectionSchema.safeParse({ github: { bearer: [{ token: 'abcdefgh', principal: 'x' }] } }).success).toBe(false);
    expect(registrySectionSchema.safeParse({ replayWindow: '7d', dedupeWindow: '1d' }).success).toBe(false);
    const s = registrySectionSchema.parse({ distribution: { bearer: [{ token: 'abcdefgh', principal: 'r' }], mtls: {} } })!;
    expect(authOf('distribution', s.distribution!)).toMatchObject({ kind: 'any', of: [{ kind: 'bearer' }, { kind: 'mtls' }] });
  });
});
