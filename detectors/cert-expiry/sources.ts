import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { connect } from 'node:tls';
import type { KeyRotationSchedule, Logger } from '../../core/index.js';
import type { Certificate, TrustedRoot } from '../../trust/index.js';
import type { Item, Source } from './inventory.js';

/**
 * Where inventory items come from. Each scan answers per slot: the items now there, [] when the
 * slot is gone (the file was deleted), or `undefined` when it could not be read this time (an
 * endpoint down, a file half-written): then the slot keeps what it had, because "could not look"
 * must never resolve an expiry finding.
 */
export type SlotScan = Map<string, Item[] | undefined>;
type Parse = (input: Uint8Array | string) => Certificate[];

export function certificateItem(source: Source, slot: string, c: Certificate, extra: Record<string, unknown> = {}): Item {
  const names = c.sans.dns.length > 0 ? ` [${c.sans.dns.slice(0, 5).join(', ')}${c.sans.dns.length > 5 ? ', ...' : ''}]` : '';
  return {
    source,
    slot,
    id: c.sha256,
    kind: 'certificate',
    label: `${c.subject || '(empty subject)'}${names}`,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    detail: { serialNumber: c.serialNumber, issuer: c.issuer, spkiSha256: c.spkiSha256, extendedKeyUsages: c.extendedKeyUsages, ...extra },
  };
}

/** Files and directories (one level) of certificates, PEM or DER; each file is a slot. */
export async function scanFiles(paths: readonly string[], parse: Parse, log: Logger, source: Extract<Source, 'file' | 'serving'> = 'file'): Promise<SlotScan> {
  const out: SlotScan = new Map();
  for (const p of paths.map((x) => resolve(x))) {
    let files: string[];
    try {
      files = (await stat(p)).isDirectory() ? (await readdir(p, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(p, d.name)) : [p];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.set(p, []);
      else log.warn({ path: p, err }, 'cert-expiry: cannot read path; keeping its certificates');
      continue;
    }
    for (const f of files) {
      try {
        out.set(
          f,
          parse(await readFile(f)).map((c, i) => certificateItem(source, f, c, { position: i })),
        );
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.set(f, []);
        else {
          out.set(f, undefined);
          log.warn({ path: f, code: (err as { code?: string }).code }, 'cert-expiry: file is not a certificate file; keeping what it held');
        }
      }
    }
  }
  return out;
}

export interface TlsEndpoint {
  host: string;
  port: number;
  servername?: string | undefined;
}
/** The port: the DER chain a TLS server presents, leaf first. */
export type TlsChainReader = (ep: TlsEndpoint, timeoutMs: number) => Promise<Buffer[]>;

export const endpointSlot = (ep: TlsEndpoint): string => `${ep.host}:${ep.port}${ep.servername && ep.servername !== ep.host ? `/${ep.servername}` : ''}`;

/**
 * The node:tls adapter: a handshake that accepts any chain (we want to read expired and
 * self-signed certificates too, not trust them), reads the presented chain and closes.
 */
export const nodeTlsChain: TlsChainReader = (ep, timeoutMs) =>
  new Promise((resolveChain, reject) => {
    const sni = ep.servername ?? (/^[\d.:]+$/.test(ep.host) ? undefined : ep.host);
    const socket = connect({ host: ep.host, port: ep.port, ...(sni ? { servername: sni } : {}), rejectUnauthorized: false, timeout: timeoutMs });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('timeout', () => fail(new Error(`TLS handshake with ${endpointSlot(ep)} timed out`)));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const chain: Buffer[] = [];
      const seen = new Set<string>();
      for (let c = socket.getPeerCertificate(true); c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(c.raw);
      }
      socket.end();
      resolveChain(chain);
    });
  });

export async function scanTls(endpoints: readonly TlsEndpoint[], read: TlsChainReader, timeoutMs: number, parse: Parse, log: Logger): Promise<SlotScan> {
  const out: SlotScan = new Map();
  await Promise.all(
    endpoints.map(async (ep) => {
      const slot = endpointSlot(ep);
      try {
        const chain = await read(ep, timeoutMs);
        out.set(
          slot,
          chain.flatMap((der, i) => parse(der).map((c) => certificateItem('tls', slot, c, { position: i }))),
        );
      } catch (err) {
        out.set(slot, undefined);
        log.warn({ endpoint: slot, err: (err as Error).message }, 'cert-expiry: TLS endpoint not readable; keeping its certificates');
      }
    }),
  );
  return out;
}

/**
 * A Sigstore trusted root: the planned end (validFor.end) of every CA, TSA and log key that has
 * one and is still current, and the certificates of current CAs and TSAs. A window already past is
 * a retired key, not an expiring one: it is not inventory.
 */
export function scanTrustedRoot(root: TrustedRoot, parse: Parse, now: Date, log: Logger): SlotScan {
  const out: SlotScan = new Map();
  const current = (end: Date | undefined) => end === undefined || end.getTime() > now.getTime();
  const window = (slot: string, service: string, start: Date | undefined, end: Date | undefined): Item[] =>
    end && current(end)
      ? [
          {
            source: 'trusted-root',
            slot,
            id: `window:${slot}`,
            kind: 'window',
            label: service,
            ...(start ? { notBefore: start.toISOString() } : {}),
            notAfter: end.toISOString(),
            detail: {},
          },
        ]
      : [];
  const authorities = [...root.certificateAuthorities.map((a) => ({ a, kind: 'fulcio' })), ...root.timestampAuthorities.map((a) => ({ a, kind: 'tsa' }))];
  for (const { a, kind } of authorities) {
    const slot = `${kind}:${a.uri}:${a.validFor?.start?.toISOString() ?? ''}`;
    if (!current(a.validFor?.end)) continue;
    const items = window(slot, `${kind} ${a.uri} (${a.subject?.commonName ?? ''})`, a.validFor?.start, a.validFor?.end);
    for (const c of a.certChain?.certificates ?? []) {
      try {
        items.push(...parse(c.rawBytes).map((x) => certificateItem('trusted-root', slot, x, { authority: kind, uri: a.uri })));
      } catch (err) {
        log.warn({ slot, code: (err as { code?: string }).code }, 'cert-expiry: a trusted-root certificate does not parse');
      }
    }
    out.set(slot, items);
  }
  const logs = [...root.tlogs.map((l) => ({ l, kind: 'rekor' })), ...root.ctlogs.map((l) => ({ l, kind: 'ct' }))];
  for (const { l, kind } of logs) {
    const id = l.logId ? Buffer.from(l.logId.keyId).toString('base64') : l.baseUrl;
    const slot = `${kind}:${l.baseUrl}:${id}`;
    out.set(slot, window(slot, `${kind} log ${l.baseUrl}`, l.publicKey?.validFor?.start, l.publicKey?.validFor?.end));
  }
  return out;
}

/** TUF metadata files: signed.expires of root, targets, snapshot, timestamp (any TUF repository). */
export async function scanTuf(paths: readonly string[], log: Logger): Promise<SlotScan> {
  const out: SlotScan = new Map();
  for (const p of paths.map((x) => (isAbsolute(x) ? x : resolve(x)))) {
    try {
      const doc = JSON.parse(await readFile(p, 'utf8')) as { signed?: { _type?: unknown; version?: unknown; expires?: unknown } };
      const s = doc.signed;
      if (typeof s?._type !== 'string' || typeof s.expires !== 'string' || Number.isNaN(Date.parse(s.expires))) throw new Error('not TUF metadata');
      const version = typeof s.version === 'number' ? s.version : 0;
      out.set(p, [
        {
          source: 'tuf',
          slot: p,
          id: `tuf:${p}:${s._type}:v${version}`,
          kind: 'metadata',
          label: `${s._type} v${version} (${p})`,
          notAfter: new Date(Date.parse(s.expires)).toISOString(),
          detail: { type: s._type, version },
        },
      ]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.set(p, []);
      else {
        out.set(p, undefined);
        log.warn({ path: p, err: (err as Error).message }, 'cert-expiry: TUF metadata not readable; keeping what it held');
      }
    }
  }
  return out;
}

/**
 * The key inventory's rotation schedule as slots: one per place (`keys[<i>]`, `token:<label>`).
 * Active and rotating keys are items (id `key:<keyId>` as revocations name keys, else the
 * inventory's own `identity:`/`kms:`/`pkcs11:` id; notAfter = the rotation date, a bare date
 * meaning its start in UTC); revoked and archived keys page no more. A place with a problem answers
 * `undefined` (keep), since a token that could not be read this time did not lose its keys.
 */
export function keyScan(s: KeyRotationSchedule): SlotScan {
  const out: SlotScan = new Map();
  for (const k of s.keys) {
    if (!out.has(k.origin)) out.set(k.origin, []);
    if (k.state === 'revoked' || k.state === 'archived') continue;
    const due = /^\d{4}-\d{2}-\d{2}$/.test(k.rotationDue) ? `${k.rotationDue}T00:00:00.000Z` : new Date(k.rotationDue).toISOString();
    out.get(k.origin)!.push({
      source: 'keys',
      slot: k.origin,
      id: /^[0-9a-f]{64}$/.test(k.id) ? `key:${k.id}` : k.id,
      kind: 'key',
      label: `${k.name ?? k.id} (${k.kind}${k.owner ? `, owner ${k.owner}` : ''})`,
      notAfter: due,
      detail: { keyId: k.id, keyKind: k.kind, state: k.state, owner: k.owner ?? null, location: k.location ?? null, algorithm: k.algorithm ?? null },
    });
  }
  for (const p of s.problems) out.set(p.origin, undefined);
  return out;
}
