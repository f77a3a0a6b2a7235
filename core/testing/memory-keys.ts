import { generateKeyPairSync } from 'node:crypto';
import { KeyError, type KeyProvider, keyObjectSigner, type KeyRef, type OpenKeyOptions, type Signer } from '../index.js';

/**
 * In-memory KeyProvider twin: one Ed25519 key per reference, created on first open when the
 * caller allows (as the file adapter does), KEY_NOT_FOUND otherwise. Nothing touches the disk.
 */
export class MemoryKeyProvider implements KeyProvider {
  private readonly keys = new Map<string, Signer>();
  async open(ref: KeyRef, opts: OpenKeyOptions = {}): Promise<Signer> {
    const id = JSON.stringify(ref);
    let s = this.keys.get(id);
    if (!s) {
      if (!opts.create) throw new KeyError('KEY_NOT_FOUND', `no key ${id}`);
      s = keyObjectSigner(generateKeyPairSync('ed25519').privateKey);
      this.keys.set(id, s);
    }
    return s;
  }
}
