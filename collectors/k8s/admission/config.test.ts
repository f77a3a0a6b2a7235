import { describe, expect, it } from 'vitest';
import { admissionSectionSchema, authOf } from './config.js';

const token = { token: 't'.repeat(24), principal: 'kube-apiserver' };

describe('collectors.admission config', () => {
  it('refuses a webhook without a way to authenticate the API server', () => {
    expect(admissionSectionSchema.safeParse({}).success).toBe(false);
    expect(admissionSectionSchema.safeParse({ bearer: [] }).success).toBe(false);
  });

  it('defaults: 2 s deadline, fail-closed, kube-system excluded, 4 MiB bodies', () => {
    expect(admissionSectionSchema.parse({ bearer: [token] })).toMatchObject({
      deadline: 2000,
      onTimeout: 'deny',
      onNoPolicy: 'allow',
      namespaces: { include: [], exclude: ['kube-system'] },
      maxBodyBytes: 4 * 1024 * 1024,
      mutate: false,
    });
  });

  it.each([
    [{ deadline: '50ms' }, 'deadline'],
    [{ deadline: '31s' }, 'deadline'],
    [{ onTimeout: 'maybe' }, 'onTimeout'],
    [{ registries: { 'Registry.Example.com': {} } }, 'registries'],
    [{ registries: { 'r.example.com': { username: 'u' } } }, 'registries'],
  ])('refuses %j at %s', (over, path) => {
    const r = admissionSectionSchema.safeParse({ bearer: [token], ...over });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path[0]).toBe(path);
  });

  it('authenticates by bearer, client certificate, or either', () => {
    expect(authOf(admissionSectionSchema.parse({ bearer: [token] })!).kind).toBe('bearer');
    expect(authOf(admissionSectionSchema.parse({ mtls: { subjects: ['kube-apiserver'] } })!)).toEqual({ kind: 'mtls', subjects: ['kube-apiserver'] });
    expect(authOf(admissionSectionSchema.parse({ bearer: [token], mtls: {} })!).kind).toBe('any');
  });
});
