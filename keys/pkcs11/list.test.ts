import { describe, expect, it } from 'vitest';
import { ckDate } from './list.js';

describe('CK_DATE (CKA_END_DATE) as a rotation date', () => {
  it('reads YYYYMMDD; empty, short, non-digit and impossible dates are no date', () => {
    expect(ckDate(Buffer.from('20270301', 'latin1'))).toBe('2027-03-01');
    expect(ckDate(Buffer.from('20280229', 'latin1'))).toBe('2028-02-29');
    for (const bad of ['', '        ', '2027031', '2027-3-1', '20270230', '20271301', '2027030a']) expect(ckDate(Buffer.from(bad, 'latin1'))).toBeUndefined();
  });
});
