/**
 * Test helper: turns a real Fulcio certificate (PEM, from realdata) into the `SignerIdentity` a Rekor
 * entry event carries, with the collector's own extraction (collectors/rekor/identity.ts), so
 * detector and policy tests see exactly what the collector publishes for that certificate.
 */
import { readFileSync } from 'node:fs';
import { signerFromPem } from '../../trust/identity.js';
import type { SignerIdentity } from '../../core/index.js';

export function signerFromFile(path: string): SignerIdentity {
  return signerFromPem(readFileSync(path, 'utf8'));
}
