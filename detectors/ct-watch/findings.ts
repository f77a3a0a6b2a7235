import { type CloudEvent, type CtEntry, CtWatchedCertificateEvent, type CtWatchedCertificate, type Finding, makeEvent } from '../../core/index.js';
import type { Certificate } from '../../trust/index.js';
import { dedupKey, findingEvent } from '../shared/index.js';
import type { CtWatchConfig } from './config.js';
import { dnsNames, type WatchMatch } from './watchlist.js';

/**
 * Findings of the ct-watch detector, one per certificate and rule:
 *   ct.unexpected_certificate: a certificate for something watched that no allowlist entry expects.
 *     Key: the CT identity (TBS without poison and SCT list), so the precertificate and the final
 *     certificate, and the same certificate in any number of logs, are one finding: the finding id
 *     derives from the key alone, never from the entry, and the detector also remembers it.
 *   ct.malformed_certificate: a certificate that does not parse but carries watched bytes. Key:
 *     the SHA-256 of its DER (a TBS cannot be trusted from bytes that do not parse).
 */
export const DETECTOR = 'ct-watch';
export const RULE_UNEXPECTED = 'ct.unexpected_certificate';
export const RULE_MALFORMED = 'ct.malformed_certificate';

function logEvidence(entry: CtEntry) {
  return {
    url: entry.log.url,
    logId: entry.log.logId,
    description: entry.log.description,
    index: entry.index,
    leafHash: entry.leafHash,
    timestamp: entry.timestamp,
    entryType: entry.entryType,
    treeHead: entry.verification.treeHead,
  };
}

const searchLink = (cfg: CtWatchConfig, sha256: string) => ({ title: 'certificate search (crt.sh)', url: cfg.searchUrl.replace('{sha256}', sha256) });

export function unexpectedFinding(cfg: CtWatchConfig, ev: CloudEvent, entry: CtEntry, cert: Certificate, matched: WatchMatch[]): CloudEvent<Finding> {
  const key = dedupKey(RULE_UNEXPECTED, cert.ctTbsSha256);
  const names = dnsNames(cert);
  const what = names[0] ?? cert.subjectFields.organization[0] ?? cert.subject;
  return findingEvent(
    {
      detector: DETECTOR,
      rule: RULE_UNEXPECTED,
      severity: cfg.severity.unexpected,
      category: 'security',
      dedupKey: key,
      subject: `sha256:${cert.sha256}`,
      source: ev.source,
      summary: `Unexpected ${entry.entryType === 'precert' ? 'precertificate' : 'certificate'} for ${what}${names.length > 1 ? ` (+${names.length - 1} names)` : ''} issued by ${cert.issuerFields.commonName[0] ?? cert.issuer} in CT log ${entry.log.description ?? entry.log.url} at index ${entry.index}`,
      description: `Matched ${matched.map((m) => `${m.kind} "${m.watch}" (${m.value})`).join('; ')}; no allowlist entry expects it.`,
      labels: { watch: matched[0]!.watch },
      evidence: {
        matchedBy: matched,
        log: logEvidence(entry),
        certSha256: cert.sha256,
        ctIdentity: cert.ctTbsSha256,
        precertificate: cert.precertificate,
        serialNumber: cert.serialNumber,
        subject: cert.subject,
        issuer: cert.issuer,
        sans: cert.sans,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        spkiSha256: cert.spkiSha256,
        extendedKeyUsages: cert.extendedKeyUsages,
      },
      links: [searchLink(cfg, cert.sha256)],
      causedBy: [ev.id],
      observedAt: ev.time ?? entry.timestamp,
    },
    [cert.ctTbsSha256],
    cfg.source,
  );
}

export function malformedFinding(
  cfg: CtWatchConfig,
  ev: CloudEvent,
  entry: CtEntry,
  der: Buffer,
  watches: string[],
  err: { code: string; message: string },
): CloudEvent<Finding> {
  const key = dedupKey(RULE_MALFORMED, entry.certSha256);
  const cut = der.length > cfg.maxEvidenceBytes;
  return findingEvent(
    {
      detector: DETECTOR,
      rule: RULE_MALFORMED,
      severity: cfg.severity.malformed,
      category: 'security',
      dedupKey: key,
      subject: `sha256:${entry.certSha256}`,
      source: ev.source,
      summary: `Malformed certificate mentioning ${watches.map((w) => `"${w}"`).join(', ')} in CT log ${entry.log.description ?? entry.log.url} at index ${entry.index} (${err.code})`,
      description: `The certificate does not parse (${err.message}); its bytes contain watched names, so it is reported unparsed with its raw DER.`,
      labels: { watch: watches[0]! },
      evidence: {
        watchedBytesFound: watches,
        error: err,
        log: logEvidence(entry),
        certSha256: entry.certSha256,
        derBase64: der.subarray(0, cfg.maxEvidenceBytes).toString('base64'),
        derLength: der.length,
        ...(cut ? { derTruncated: true } : {}),
      },
      links: [searchLink(cfg, entry.certSha256)],
      causedBy: [ev.id],
      observedAt: ev.time ?? entry.timestamp,
    },
    [entry.certSha256],
    cfg.source,
  );
}

/** The sighting the certificate inventory (cert-expiry) records. */
export function watchedEvent(cfg: CtWatchConfig, ev: CloudEvent, entry: CtEntry, cert: Certificate, matched: WatchMatch[], allowedBy: string | undefined) {
  const data: CtWatchedCertificate = {
    ctIdentity: cert.ctTbsSha256,
    certSha256: cert.sha256,
    entryType: entry.entryType,
    log: { url: entry.log.url, logId: entry.log.logId },
    index: entry.index,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    dnsNames: dnsNames(cert),
    spkiSha256: cert.spkiSha256,
    ...(allowedBy !== undefined ? { allowedBy } : {}),
    matchedBy: matched,
  };
  // The id derives from the certificate: the precert and the final form are one sighting downstream.
  return makeEvent({
    id: `ct-watched-${cert.ctTbsSha256.slice(0, 32)}`,
    type: CtWatchedCertificateEvent.type,
    source: cfg.source,
    subject: `ct:${cert.ctTbsSha256}`,
    time: ev.time ?? entry.timestamp,
    data,
  });
}
