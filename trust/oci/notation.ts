import { signerFromCertificateDer } from '../identity.js';
import { fail, type Checked } from './record.js';
import type { DiscoveredArtifact } from './types.js';

export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';

/**
 * Notation (Notary Project) signatures are recognised and reported, not verified: their trust model
 * (trust policy + X.509 trust stores) is not implemented. The signer is read from a JWS envelope's
 * x5c leaf when present, so an operator can see who claims to have signed.
 */
export function notationRecord(art: DiscoveredArtifact): Checked {
  const out: Checked = { format: 'notation', failure: fail('NOTATION_UNSUPPORTED', 'Notation signatures are recognised but not verified') };
  for (const layer of art.layers) {
    if (layer.mediaType !== 'application/jose+json') continue;
    try {
      const jws = JSON.parse(Buffer.from(layer.bytes).toString('utf8')) as { header?: { x5c?: unknown } };
      const x5c = jws.header?.x5c;
      if (Array.isArray(x5c) && typeof x5c[0] === 'string') out.signer = signerFromCertificateDer(Buffer.from(x5c[0], 'base64'));
    } catch {
      // An unreadable envelope only loses the informational signer; the record stays.
    }
    break;
  }
  return out;
}
