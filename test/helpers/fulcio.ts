/**
 * Test helper: turns a real Fulcio certificate (PEM, from realdata) into the `Signer` a Rekor
 * entry event carries, with the collector's own extraction (collectors/rekor/identity.ts), so
 * detector and policy tests see exactly what the collector publishes for that certificate.
 */
import { readFileSync } from 'node:fs';
import { signerFromPem } from '../../trust/identity.js';
import type { Signer } from '../../core/index.js';

export function signerFromFile(path: string): Signer {
  return signerFromPem(readFileSync(path, 'utf8'));
}
