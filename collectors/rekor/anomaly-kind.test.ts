import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import type { TlogAnomalyKind } from '../../core/index.js';
import { TlogError, type TlogErrorCode } from '../../core/tlog/index.js';
import { logKeyFromPem, verifyCheckpoint, type LogKey } from '../../trust/index.js';
import { TileLogError } from '../shared/tiles/index.js';
import { anomalyKind } from './anomaly-kind.js';
import { RekorError, type RekorErrorCode } from './errors.js';
import { loadRecording } from './testing/fake-rekor.js';

/**
 * Detectors page on the anomaly kind, so moving checkpoint and key failures from RekorError
 * (REKOR_CHECKPOINT_*, REKOR_KEY_INVALID) to core/tlog codes must not change any kind. BEFORE is
 * what the collector published for each failure before that move: a TlogError from checkpoint
 * verification was translated (NOTE_UNKNOWN_KEY / NOTE_SIGNATURE_INVALID / NOTE_QUORUM_NOT_MET ->
 * REKOR_CHECKPOINT_SIGNATURE_INVALID, CHECKPOINT_ORIGIN_MISMATCH -> REKOR_CHECKPOINT_ORIGIN_MISMATCH,
 * KEY_* -> REKOR_KEY_INVALID: all signature_invalid; anything else -> REKOR_CHECKPOINT_MALFORMED:
 * malformed_response); Merkle TlogErrors were mapped by prefix.
 */
const BEFORE: Record<TlogErrorCode, TlogAnomalyKind> = {
  TLOG_INCLUSION_MISMATCH: 'inclusion_failed',
  TLOG_INCLUSION_BAD_PROOF_LENGTH: 'inclusion_failed',
  TLOG_INDEX_OUT_OF_RANGE: 'inclusion_failed',
  TLOG_CONSISTENCY_MISMATCH: 'consistency_failed',
  TLOG_CONSISTENCY_BAD_PROOF_LENGTH: 'consistency_failed',
  TLOG_CONSISTENCY_SIZE_ORDER: 'consistency_failed',
  TLOG_CONSISTENCY_FROM_EMPTY: 'consistency_failed',
  TLOG_TREE_SHRANK: 'tree_shrank',
  TLOG_ROOT_MISMATCH: 'inclusion_failed',
  TLOG_RANGE_INVALID: 'inclusion_failed',
  TLOG_RANGE_NOT_ADJACENT: 'inclusion_failed',
  TLOG_BAD_HASH_SIZE: 'inclusion_failed',
  TLOG_SIZE_INVALID: 'inclusion_failed',
  NOTE_MALFORMED: 'malformed_response',
  NOTE_NO_SIGNATURE: 'malformed_response',
  NOTE_UNKNOWN_KEY: 'signature_invalid',
  NOTE_SIGNATURE_INVALID: 'signature_invalid',
  NOTE_QUORUM_NOT_MET: 'signature_invalid',
  CHECKPOINT_MALFORMED: 'malformed_response',
  CHECKPOINT_ORIGIN_MISMATCH: 'signature_invalid',
  // New with the move (the trust CLI's tree-head cross-check); the collector does not raise it.
  CHECKPOINT_MISMATCH: 'malformed_response',
  KEY_MALFORMED: 'signature_invalid',
  KEY_UNSUPPORTED: 'signature_invalid',
};

const REKOR: Record<RekorErrorCode, TlogAnomalyKind> = {
  REKOR_RESPONSE_MALFORMED: 'malformed_response',
  REKOR_ENTRY_MALFORMED: 'entry_malformed',
  REKOR_ENTRY_NOT_CANONICAL: 'entry_malformed',
  REKOR_ENTRY_MISMATCH: 'entry_malformed',
  REKOR_SET_INVALID: 'set_invalid',
  REKOR_SET_MISSING: 'set_invalid',
  REKOR_CONFIG_INVALID: 'malformed_response',
};

describe('anomalyKind', () => {
  it('gives every core/tlog code the kind the collector published before the move', () => {
    for (const [code, kind] of Object.entries(BEFORE)) expect([code, anomalyKind(new TlogError(code as TlogErrorCode, 'x'))]).toEqual([code, kind]);
  });

  it('keeps the Rekor, tile-log and HTTP mappings', () => {
    for (const [code, kind] of Object.entries(REKOR)) expect([code, anomalyKind(new RekorError(code as RekorErrorCode, 'x'))]).toEqual([code, kind]);
    expect(anomalyKind(new HttpError('HTTP_RATE_LIMITED', 'x'))).toBe('rate_limited');
    expect(anomalyKind(new HttpError('HTTP_SERVER_ERROR', 'x'))).toBe('server_error');
    expect(anomalyKind(new HttpError('HTTP_TIMEOUT', 'x'))).toBe('unreachable');
    expect(anomalyKind(new HttpError('HTTP_BODY_TOO_LARGE', 'x'))).toBe('malformed_response');
    expect(anomalyKind(new TileLogError('TILES_RESPONSE_MALFORMED', 'x'))).toBe('malformed_response'); // was REKOR_RESPONSE_MALFORMED
    expect(anomalyKind(new Error('anything else'))).toBe('malformed_response');
  });

  describe('on real checkpoint failures (recorded Rekor signed tree heads)', () => {
    const rec = loadRecording();
    const sth = rec.heads.at(-1)!.signedTreeHead;
    const key = logKeyFromPem(rec.publicKey);
    const body = sth.slice(0, sth.lastIndexOf('\n\n') + 1);
    const resign = (text: string): string => {
      const line = sth.slice(sth.lastIndexOf('\n\n') + 2);
      const [, name, b64] = /^\u2014 (\S+) (\S+)\n$/.exec(line)!;
      const sig = sign('sha256', Buffer.from(text), createPrivateKey(rec.testOnlySignerKey));
      return `${text}\n\u2014 ${name} ${Buffer.concat([Buffer.from(b64!, 'base64').subarray(0, 4), sig]).toString('base64')}\n`;
    };
    const otherKey = (type: 'ec' | 'rsa'): LogKey =>
      logKeyFromPem(
        (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })).publicKey.export({
          format: 'pem',
          type: 'spki',
        }) as string,
      );
    const failure = (f: () => unknown): TlogError => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(TlogError);
        return err as TlogError;
      }
      return expect.unreachable('verification did not fail');
    };

    // [what, how it fails, code now, code before the move, kind (unchanged)]
    it.each<[string, () => unknown, TlogErrorCode, string, TlogAnomalyKind]>([
      ['signed by another key', () => verifyCheckpoint(sth, otherKey('ec')), 'NOTE_UNKNOWN_KEY', 'REKOR_CHECKPOINT_SIGNATURE_INVALID', 'signature_invalid'],
      [
        'a log key no note verifier exists for',
        () => verifyCheckpoint(sth, otherKey('rsa')),
        'KEY_UNSUPPORTED',
        'REKOR_CHECKPOINT_SIGNATURE_INVALID',
        'signature_invalid',
      ],
      [
        'tampered tree size',
        () => verifyCheckpoint(sth.replace(/\n\d+\n/, '\n1\n'), key),
        'NOTE_SIGNATURE_INVALID',
        'REKOR_CHECKPOINT_SIGNATURE_INVALID',
        'signature_invalid',
      ],
      [
        'another origin',
        () => verifyCheckpoint(sth, key, { origin: 'rekor.example.org - 1' }),
        'CHECKPOINT_ORIGIN_MISMATCH',
        'REKOR_CHECKPOINT_ORIGIN_MISMATCH',
        'signature_invalid',
      ],
      ['no blank line before the signatures', () => verifyCheckpoint(body, key), 'NOTE_MALFORMED', 'REKOR_CHECKPOINT_MALFORMED', 'malformed_response'],
      ['no signature lines', () => verifyCheckpoint(`${body}\n`, key), 'NOTE_NO_SIGNATURE', 'REKOR_CHECKPOINT_MALFORMED', 'malformed_response'],
      [
        'a correctly signed body that is no checkpoint',
        () => verifyCheckpoint(resign('not\na checkpoint\n'), key),
        'CHECKPOINT_MALFORMED',
        'REKOR_CHECKPOINT_MALFORMED',
        'malformed_response',
      ],
    ])('%s', (_what, fail, code, _before, kind) => {
      const err = failure(fail);
      expect(err.code).toBe(code);
      expect(anomalyKind(err)).toBe(kind);
    });

    it('the re-signing helper itself produces a checkpoint that verifies', () => {
      expect(verifyCheckpoint(resign(body), key).checkpoint.size).toBe(rec.heads.at(-1)!.treeSize);
    });
  });
});
