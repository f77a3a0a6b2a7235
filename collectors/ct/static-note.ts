import { c2spKeyHash, type NoteVerifier, parseCheckpoint } from '../../core/tlog/index.js';
import { type CtLogKey, treeHeadSignatureInput, verifyDigitallySigned } from './log-key.js';

/**
 * The note verifier of a static-ct-api checkpoint (c2sp.org/static-ct-api §Checkpoints): the log
 * signs with its RFC 6962 key, as an RFC6962NoteSignature { uint64 timestamp; DigitallySigned
 * TreeHeadSignature } over the checkpoint's size and root at that timestamp; key ID
 * SHA-256(origin || 0x0A || 0x05 || LogID)[:4]. The key name is the checkpoint origin.
 * Never throws: a bad or unparsable signature is just `false` (verifyNote decides).
 */
export function rfc6962NoteVerifier(origin: string, key: CtLogKey): NoteVerifier {
  return {
    name: origin,
    keyHash: c2spKeyHash(origin, 0x05, key.logId),
    type: 'rfc6962',
    verify(msg, sig) {
      if (sig.length < 8 + 4) return false;
      let cp;
      try {
        cp = parseCheckpoint(msg.toString('utf8'));
      } catch {
        return false;
      }
      const ts = sig.readBigUInt64BE(0);
      if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return false;
      return verifyDigitallySigned(key, treeHeadSignatureInput(Number(ts), cp.size, cp.rootHash), sig.subarray(8));
    },
  };
}
