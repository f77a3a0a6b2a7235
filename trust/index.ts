// Public surface of trust/: Sigstore trusted roots, transparency-log keys (one LogKey type),
// bundle verification, checkpoint verification and the conformance CLI commands. Imports only core (scripts/lint-deps.mjs).
export * from './errors.js';
export {
  loadTrustedRoot,
  readTrustedRootFile,
  parseTrustedRoot,
  embeddedProductionRoot,
  withLogKeys,
  fetchTrustedRootViaTuf,
  PRODUCTION_TUF_URL,
  STAGING_TUF_URL,
} from './trusted-root.js';
export type { TrustedRootSource, TufOptions, LoadedTrustedRoot } from './trusted-root.js';
export { logKeys, ctLogKeys, isKeyValidAt, logKeyFromPem, logKeyForUrl } from './log-keys.js';
export type { LogKey, LogKeyAlgorithm, LogKeyId } from './log-keys.js';
export { verifyBundle } from './bundle.js';
export type { ArtifactInput, BundlePolicy, VerifyBundleInput, VerifiedBundle } from './bundle.js';
export { verifyCheckpoint } from './checkpoint.js';
export type { CheckpointVerification, VerifyCheckpointOptions } from './checkpoint.js';
export { trustCommands, verifyBundleCommand, verifyCheckpointCommand, type CommandIO, type TrustCommandOptions } from './commands.js';
export type { TrustedRoot } from '@sigstore/protobuf-specs';
export { signerFromPem, signerFromCertificateDer } from './identity.js';
export { firstPemBlock, pemBlocks, type PemBlock, type PemProblem } from './pem.js';
export type { Certificate, NameFields, SubjectAltNames } from './x509.js';
export type { Sct } from './x509-ct.js';
/** The X.509 parser, loaded on first use (importing @peculiar/x509 takes a few hundred ms; most commands never need it). */
export const loadX509 = (): Promise<typeof import('./x509.js')> => import('./x509.js');
export { inspectCertCommand, certificateJson } from './inspect.js';
export {
  verifyDiscovered,
  OciTrustError,
  type OciTrustErrorCode,
  MAX_LAYER_BYTES,
  SIMPLESIGNING_MEDIA_TYPE,
  DSSE_MEDIA_TYPE,
  NOTATION_ARTIFACT_TYPE,
  isBundleMediaType,
  summarizePredicate,
} from './oci/index.js';
export type { DiscoveredArtifact, DiscoveredLayer, OciTrustOptions, OciVerification } from './oci/index.js';
export { bundleFacts, loadBundleFacts, type BundleFact, type BundleFactsInput, type BundleFilesInput, type BundleFileFacts } from './bundle-facts.js';
