/**
 * Public surface of keys/: the KeyProvider the composition root builds and hands to components
 * (ComponentContext.keys). One adapter per kind of key reference: files (file.ts) and PKCS#11
 * tokens (pkcs11/, loaded only when a pkcs11 reference is opened: the native addon stays out of
 * daemons that do not use it). Imports only core.
 */
import { KeyError, type KeyProvider, type KeyRef, type OpenKeyOptions, type Signer } from '../core/index.js';
import { openFileKey } from './file.js';

export { openFileKey } from './file.js';

export function createKeyProvider(): KeyProvider {
  return {
    async open(ref: KeyRef, opts: OpenKeyOptions = {}): Promise<Signer> {
      if ('file' in ref) return openFileKey(ref.file, opts);
      // HSM keys are provisioned in the token (softhsm2-util, the vendor's tools): never created here.
      if ('pkcs11' in ref) return (await import('./pkcs11/index.js')).Pkcs11Signer.open(ref.pkcs11);
      const never: never = ref; // a new kind of reference needs its adapter here
      throw new KeyError('KEY_UNSUPPORTED', `unsupported key reference ${JSON.stringify(never)}`);
    },
  };
}
export { keyInventoryModule, KeyInventoryRecorder } from './inventory/index.js';
export {
  runbooksModule,
  RunbookRunner,
  runbooksConfigSchema,
  runbookRoutes,
  loadRunbookHsm,
  approverOf,
  judgeApprovals,
  signApproval,
  RunbookError,
  ApprovalError,
} from './runbooks/index.js';
