import { describe, expect, it } from 'vitest';
import { normalizeRoot, OriginViews } from './views.js';

const rec = (root: string, vantage = 'primary') => ({ root, vantage, observedAt: '2026-01-01T00:00:00Z', eventId: `e-${root}` });

describe('OriginViews', () => {
  it('first root wins; a different root is a conflict, the same root agrees', () => {
    const v = new OriginViews(10);
    expect(v.check(5, 'AA==')).toEqual({ kind: 'new' });
    v.record(5, rec('AAAA'));
    v.record(5, rec('BBBB', 'mirror'));
    expect(v.check(5, 'AAAA').kind).toBe('agrees');
    expect(v.check(5, 'BBBB')).toMatchObject({ kind: 'conflict', prior: { root: 'AAAA', vantage: 'primary' } });
  });

  it('is bounded, evicting the oldest sizes, and round-trips through JSON', () => {
    const v = new OriginViews(2);
    for (const n of [1, 2, 3]) v.record(n, rec(`r${n}`));
    expect(v.size).toBe(2);
    const w = new OriginViews(2, JSON.parse(JSON.stringify(v.toJSON())));
    expect(w.check(1, 'x').kind).toBe('new');
    expect(w.check(3, 'r3').kind).toBe('agrees');
  });

  it('records consistency proofs only for the vantage that holds the root', () => {
    const v = new OriginViews(5);
    v.record(10, rec('r10'));
    v.noteConsistency(10, 20, 'mirror');
    v.noteConsistency(10, 15, 'primary');
    expect(v.toJSON()[0]![1].extendedTo).toBe(15);
  });

  it('compares hex and base64 spellings as bytes', () => {
    const hex = 'dd984b288de629496979d43d86220c6c92232abdef4dcfae7958b2c56ab04060';
    expect(normalizeRoot(hex)).toBe(normalizeRoot('3ZhLKI3mKUlpedQ9hiIMbJIjKr3vTc+ueViyxWqwQGA='));
  });
});
