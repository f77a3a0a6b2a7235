import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, TokenBucket } from '../../core/index.js';
import { type RecordingServer, startRecordingServer } from '../../core/testing/index.js';
import { CtError } from './errors.js';
import { Rfc6962Client } from './rfc6962-client.js';

/**
 * get-entries is decoded without a schema pass (rfc6962-client.ts strictBuf): the same strictness
 * as the base64 rule of the other answers, checked here against a log twin answering each case.
 */
describe('Rfc6962Client.getEntries', () => {
  let log: RecordingServer | undefined;
  afterEach(async () => log?.stop());

  const entriesFrom = async (entries: unknown): Promise<ReturnType<Rfc6962Client['getEntries']>> => {
    log = await startRecordingServer(() => ({ status: 200, body: { entries } }));
    const http = new HttpClient({ peer: 'twin', timeoutMs: 5000, maxBodyBytes: 1 << 20, rateLimit: new TokenBucket(1000) });
    return new Rfc6962Client(`${log.url}/log/`, http).getEntries(0, 3);
  };

  it('decodes leaf_input and extra_data, padding included', async () => {
    const got = await entriesFrom([
      { leaf_input: Buffer.from('abc').toString('base64'), extra_data: Buffer.from('de').toString('base64') },
      { leaf_input: Buffer.from('f').toString('base64'), extra_data: '' },
    ]);
    expect(got.map((e) => [e.leafInput.toString(), e.extraData.toString()])).toEqual([
      ['abc', 'de'],
      ['f', ''],
    ]);
  });

  it.each([
    ['a character outside the alphabet', { leaf_input: 'AB!D', extra_data: '' }],
    ['base64url letters', { leaf_input: 'AB-_', extra_data: '' }],
    ['a length that is not whole quanta', { leaf_input: 'ABC', extra_data: '' }],
    ['whitespace', { leaf_input: 'AB D', extra_data: '' }],
    ['a missing field', { leaf_input: 'ABCD' }],
    ['a number', { leaf_input: 'ABCD', extra_data: 7 }],
    ['padding inside', { leaf_input: 'A=CD', extra_data: '' }],
  ])('refuses %s as CT_RESPONSE_MALFORMED', async (_what, entry) => {
    await expect(entriesFrom([entry])).rejects.toThrowWithCode(CtError, 'CT_RESPONSE_MALFORMED');
  });

  it('refuses an answer without an entries list, and one with more entries than asked', async () => {
    await expect(entriesFrom(undefined)).rejects.toThrowWithCode(CtError, 'CT_RESPONSE_MALFORMED');
    const e = { leaf_input: 'ABCD', extra_data: '' };
    await expect(entriesFrom([e, e, e, e, e])).rejects.toThrowWithCode(CtError, 'CT_RESPONSE_MALFORMED');
  });
});
