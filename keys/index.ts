/**
 * Public surface of keys/: the KeyProvider the composition root builds and hands to components
 * (ComponentContext.keys). One adapter per kind of key reference: files today (file.ts),
 * PKCS#11 tokens next. Imports only core.
 */
import { KeyError, type KeyProvider, type KeyRef, type OpenKeyOptions, type Signer } from '../core/index.js';
import { openFileKey } from './file.js';

export { openFileKey } from './file.js';

export function createKeyProvider(): KeyProvider {
  return {
    async open(ref: KeyRef, opts: OpenKeyOptions = {}): Promise<Signer> {
      if ('file' in ref) return openFileKey(ref.file, opts);
      const never: never = ref; // a new kind of reference needs its adapter here
      throw new KeyError('KEY_UNSUPPORTED', `unsupported key reference ${JSON.stringify(never)}`);
    },
  };
}
