import { describe, expect, it } from 'vitest';
import { parseChallenges } from './auth.js';

describe('WWW-Authenticate challenges of registries', () => {
  it('reads the Bearer challenge of the distribution token spec', () => {
    const h = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"';
    expect(parseChallenges(h)).toEqual([
      { scheme: 'Bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
  });

  it('reads unquoted values, escapes, and several challenges in one header', () => {
    const h = 'Basic realm="a \\"b\\"", Bearer realm=https://t.example/token,service=svc,error="insufficient_scope"';
    expect(parseChallenges(h)).toEqual([
      { scheme: 'Basic', params: { realm: 'a "b"' } },
      { scheme: 'Bearer', params: { realm: 'https://t.example/token', service: 'svc', error: 'insufficient_scope' } },
    ]);
  });

  it('yields nothing for an absent header', () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
  });
});
