/**
 * Transparency-log cryptography (pure; node:crypto only): RFC 6962/9162 Merkle proofs, compact
 * ranges for full-audit collectors, C2SP signed notes and checkpoints. See docs/tlog.md.
 */
export { TlogError, type TlogErrorCode } from './errors.js';
export { EMPTY_ROOT, HASH_SIZE, leafHash, leafHashUtf8, nodeHash, sha256Digest } from './hash.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';
export { CompactRange, decompose, type CompactRangeJSON } from './compact.js';
export { verifyLeavesAgainstRoot, type LeafRunAnchor } from './leaves.js';
export { formatNote, isValidKeyName, parseNote, strictBase64, MAX_NOTE_SIGNATURES, type Note, type NoteSignature } from './note.js';
export {
  c2spKeyHash,
  cosignatureV1AsyncSigner,
  cosignatureV1Signer,
  cosignatureV1Verifier,
  ecdsaNoteSigner,
  ecdsaNoteVerifier,
  ecdsaAsyncNoteSigner,
  ed25519AsyncNoteSigner,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519RawPublicKey,
  formatVerifierKey,
  parseVerifierKey,
  spkiKeyHash,
  type AsyncNoteSigner,
  type NoteKeyType,
  type NoteSigner,
  type NoteVerifier,
} from './keys.js';
export { addSignatures, signNote, signNoteAsync, signNoteEcdsa, signNoteEd25519, verifyNote, type VerifiedNote, type VerifyNoteOptions } from './signed.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, type Checkpoint, type OpenCheckpointOptions, type VerifiedCheckpoint } from './checkpoint.js';
export {
  consistencyProof,
  consistencyRanges,
  DEFAULT_STRIDE,
  inclusionProof,
  inclusionRanges,
  rangeHashes,
  rangeNodes,
  storedNodesFor,
  TreeBuilder,
  treeRoot,
  type NodeId,
  type NodeReader,
  type Range,
} from './tree.js';
