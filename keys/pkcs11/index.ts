/** PKCS#11 keys (loaded on demand by keys/index.ts: the native addon stays out of daemons without HSM keys). */
export { Pkcs11Signer } from './signer.js';
export { pkcs11Library } from './library.js';
export { listTokenKeys, type TokenKey } from './list.js';
