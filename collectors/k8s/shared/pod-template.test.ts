import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageReferenceError } from '../../../core/index.js';
import { realdata } from '../../../core/testing/index.js';
import { describeImage, K8sObjectError, podTemplateImages } from './pod-template.js';

const rd = realdata();
const request = (file: string): { kind: { kind: string }; object: unknown } =>
  JSON.parse(readFileSync(join(rd.dir, 'kubernetes', 'admission-request', file), 'utf8')) as { kind: { kind: string }; object: unknown };

describe.skipIf(rd.skip)('podTemplateImages on real admission requests (kubewarden/verify-image-signatures test data)', () => {
  it('reads containers and init containers of a Pod', () => {
    const r = request('pod_creation_with_init_container.json');
    const images = podTemplateImages(r.kind.kind, r.object);
    expect(images).toEqual([
      { container: 'init:init', reference: 'init', pointer: '/spec/initContainers/0/image' },
      { container: 'nginx', reference: 'nginx', pointer: '/spec/containers/0/image' },
    ]);
    expect(images.map((i) => describeImage(i))).toMatchObject([
      { registry: 'docker.io', repository: 'library/init', tag: 'latest', resolvedFromTag: false },
      { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
    ]);
  });

  it('reads the signed-image Pod', () => {
    const r = request('pod_creation_signed.json');
    expect(podTemplateImages(r.kind.kind, r.object).map((i) => describeImage(i))).toMatchObject([
      { registry: 'ghcr.io', repository: 'kubewarden/test-verify-image-signatures', tag: 'signed' },
    ]);
  });
});

// Objects as `kubectl create --dry-run=client -o json` prints them (kubectl 1.37), trimmed to the spec.
const podSpec = {
  initContainers: [{ name: 'setup', image: 'busybox:1.37' }],
  containers: [{ name: 'app', image: '127.0.0.1:5000/team/app:v1' }],
};
const templated = { metadata: { name: 'x' }, spec: { replicas: 1, template: { metadata: { labels: { app: 'x' } }, spec: podSpec } } };

describe('podTemplateImages for every workload kind', () => {
  const want = (prefix: string): unknown[] => [
    { container: 'init:setup', reference: 'busybox:1.37', pointer: `${prefix}/initContainers/0/image` },
    { container: 'app', reference: '127.0.0.1:5000/team/app:v1', pointer: `${prefix}/containers/0/image` },
  ];
  it.each(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'])('%s: spec.template.spec', (kind) => {
    expect(podTemplateImages(kind, { kind, ...templated })).toEqual(want('/spec/template/spec'));
  });
  it('CronJob: spec.jobTemplate.spec.template.spec', () => {
    expect(podTemplateImages('CronJob', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } } })).toEqual(
      want('/spec/jobTemplate/spec/template/spec'),
    );
  });
  it('Pod: ephemeral containers too', () => {
    const pod = { spec: { ...podSpec, ephemeralContainers: [{ name: 'debug', image: 'busybox' }] } };
    expect(podTemplateImages('Pod', pod).map((i) => i.container)).toEqual(['init:setup', 'app', 'ephemeral:debug']);
  });

  it.each([
    ['Service', { spec: {} }, 'K8S_KIND_UNSUPPORTED'],
    ['Deployment', { spec: { replicas: 1 } }, 'K8S_OBJECT_MALFORMED'],
    ['Pod', null, 'K8S_OBJECT_MALFORMED'],
    ['Pod', { spec: { containers: [{ name: 'a' }] } }, 'K8S_OBJECT_MALFORMED'],
    ['Pod', { spec: { containers: 'nginx' } }, 'K8S_OBJECT_MALFORMED'],
  ])('%s %j -> %s', (kind, object, code) => {
    try {
      podTemplateImages(kind, object);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(K8sObjectError);
      expect((e as K8sObjectError).code).toBe(code);
    }
  });

  it('describeImage refuses an odd reference with a coded error', () => {
    expect(() => describeImage({ container: 'a', reference: 'Bad/Image' })).toThrow(ImageReferenceError);
  });
});
