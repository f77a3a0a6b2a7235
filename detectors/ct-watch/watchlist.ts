import type { Certificate } from '../../trust/index.js';
import type { AllowEntry, CtWatchConfig } from './config.js';
import { certName, type CertName, matches, type NamePattern, needles, parsePattern, unicodeName } from './names.js';

/**
 * The compiled watchlist and allowlist. Three questions per CT entry, cheapest first:
 *   1. prefilter(der): which watches could match at all? Their names occur in the DER as bytes
 *      (SANs are IA5String, names UTF8String/PrintableString, rarely BMPString: all are
 *      searched), so a certificate without any of those bytes is skipped unparsed: most of a CT
 *      log, and the X.509 library is the expensive step. The same scan is what still finds a
 *      watched name in a certificate that does not parse.
 *   2. match(cert): what exactly matched, on the parsed fields.
 *   3. allowedBy(cert): the allowlist entry that expects this certificate, if any.
 */
export type MatchKind = 'dnsName' | 'organization' | 'issuer' | 'issuerKey';
export interface WatchMatch {
  kind: MatchKind;
  /** The configured watch entry. */
  watch: string;
  /** What in the certificate matched it. */
  value: string;
}

const fold = (s: string): string => s.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
/** How a string's bytes look in a latin1-lowercased DER: its UTF-8 and its UTF-16BE (BMPString) encodings, lowercased the same way. */
function byteForms(s: string): string[] {
  const utf8 = Buffer.from(s.toLowerCase(), 'utf8');
  const utf16be = Buffer.from(s.toLowerCase(), 'utf16le').swap16();
  return [utf8.toString('latin1').toLowerCase(), utf16be.toString('latin1').toLowerCase()];
}

const longestWord = (s: string): string =>
  fold(s)
    .split(' ')
    .reduce((a, b) => (b.length > a.length ? b : a), '');

interface CompiledAllow {
  entry: AllowEntry;
  names: NamePattern[];
}

export class Watchlist {
  private readonly dns: NamePattern[];
  private readonly orgs: Map<string, string>;
  private readonly issuers: Map<string, string>;
  private readonly issuerKeys: Set<string>;
  private readonly needles: { bytes: string; watch: string }[] = [];
  private readonly allow: CompiledAllow[];

  constructor(cfg: CtWatchConfig) {
    this.dns = cfg.watch.dnsNames.map((t) => parsePattern(t)!);
    this.orgs = new Map(cfg.watch.organizations.map((o) => [fold(o), o]));
    this.issuers = new Map(cfg.watch.issuers.map((o) => [fold(o), o]));
    this.issuerKeys = new Set(cfg.watch.issuerKeys);
    for (const p of this.dns) for (const n of needles(p)) for (const b of byteForms(n)) this.needles.push({ bytes: b, watch: p.text });
    // Names compare folded (case, runs of white space), so their needle is the longest word: any name equal after folding contains it.
    for (const o of [...cfg.watch.organizations, ...cfg.watch.issuers]) for (const b of byteForms(longestWord(o))) this.needles.push({ bytes: b, watch: o });
    this.allow = cfg.allow.map((entry) => ({ entry, names: (entry.names ?? []).map((t) => parsePattern(t)!) }));
  }

  /** Watching issuer keys needs the issuer's key, which is not in the leaf's bytes (the detector looks it up first). */
  get watchesIssuerKeys(): boolean {
    return this.issuerKeys.size > 0;
  }
  isWatchedIssuerKey(spkiSha256: string | undefined): boolean {
    return spkiSha256 !== undefined && this.issuerKeys.has(spkiSha256);
  }

  /** The watches whose bytes occur in the DER (case-insensitive), each once. */
  prefilter(der: Buffer): string[] {
    const hay = der.toString('latin1').toLowerCase();
    const hit = new Set<string>();
    for (const n of this.needles) if (!hit.has(n.watch) && hay.includes(n.bytes)) hit.add(n.watch);
    return [...hit];
  }

  match(cert: Certificate, issuerKeySha256: string | undefined): WatchMatch[] {
    const out: WatchMatch[] = [];
    for (const raw of dnsNames(cert)) {
      const c = certName(raw);
      if (!c) continue;
      for (const p of this.dns) if (matches(p, c)) out.push({ kind: 'dnsName', watch: p.text, value: display(c) });
    }
    for (const o of cert.subjectFields.organization) {
      const w = this.orgs.get(fold(o));
      if (w !== undefined) out.push({ kind: 'organization', watch: w, value: o });
    }
    for (const v of [cert.issuer, ...cert.issuerFields.commonName, ...cert.issuerFields.organization]) {
      const w = this.issuers.get(fold(v));
      if (w !== undefined && !out.some((m) => m.kind === 'issuer' && m.watch === w)) out.push({ kind: 'issuer', watch: w, value: v });
    }
    if (issuerKeySha256 !== undefined && this.issuerKeys.has(issuerKeySha256)) out.push({ kind: 'issuerKey', watch: issuerKeySha256, value: issuerKeySha256 });
    return out;
  }

  /** The first allowlist entry that expects this certificate. */
  allowedBy(cert: Certificate): string | undefined {
    return this.allow.find((a) => this.allows(a, cert))?.entry.name;
  }

  /** For certificates that do not parse, only their hash can be expected. */
  allowedByHash(sha256: string): string | undefined {
    return this.allow.find((a) => a.entry.certSha256 === sha256)?.entry.name;
  }

  private allows(a: CompiledAllow, cert: Certificate): boolean {
    const e = a.entry;
    if (e.spkiSha256 !== undefined && e.spkiSha256 !== cert.spkiSha256) return false;
    if (e.certSha256 !== undefined && e.certSha256 !== cert.sha256 && e.certSha256 !== cert.ctTbsSha256) return false;
    if (e.issuer !== undefined) {
      const want = fold(e.issuer);
      if (![cert.issuer, ...cert.issuerFields.commonName, ...cert.issuerFields.organization].some((v) => fold(v) === want)) return false;
      // Every name must be expected: an extra name in an otherwise expected certificate is the attack.
      const names = dnsNames(cert)
        .map(certName)
        .filter((c): c is CertName => c !== undefined);
      if (names.length === 0 || !names.every((c) => a.names.some((p) => covers(p, c)))) return false;
    }
    return true;
  }
}

/** SAN dNSNames, and subject CNs that are DNS names (older certificates, and IDN U-labels). */
export function dnsNames(cert: Certificate): string[] {
  const cns = cert.subjectFields.commonName.filter((cn) => certName(cn) !== undefined && cn.includes('.'));
  return [...new Set([...cert.sans.dns, ...cns])];
}

/** An allowlist pattern covers a certificate name when the name is within it (a wildcard name: only by an equal wildcard or a subtree). */
function covers(p: NamePattern, c: CertName): boolean {
  if (!c.wildcard) return matches(p, c);
  return p.kind === 'wildcard' ? p.base === c.name : p.kind === 'subtree' && (c.name === p.base || c.name.endsWith(`.${p.base}`));
}

function display(c: CertName): string {
  const u = unicodeName(c.name);
  const s = c.wildcard ? `*.${c.name}` : c.name;
  return u === c.name ? s : `${s} (${c.wildcard ? '*.' : ''}${u})`;
}
