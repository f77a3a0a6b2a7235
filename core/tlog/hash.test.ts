import { describe, expect, it } from 'vitest';
import { leafHash, leafHashUtf8 } from './hash.js';

describe('leafHashUtf8', () => {
  it('hashes the UTF-8 bytes of the text, multi-byte characters and texts beyond the reused buffer included', () => {
    for (const body of ['', '{"a":1}', '{"name":"Zoë ✓ 𝄞"}', `{"big":"${'é'.repeat(30_000)}"}`, `{"big":"${'x'.repeat(70_000)}"}`]) {
      expect(leafHashUtf8(body).equals(leafHash(Buffer.from(body, 'utf8')))).toBe(true);
    }
    // The reused buffer must not leak the previous (longer) text into a shorter one's hash.
    leafHashUtf8('{"long":"' + 'y'.repeat(5000) + '"}');
    expect(leafHashUtf8('{"s":1}').equals(leafHash(Buffer.from('{"s":1}')))).toBe(true);
  });
});
