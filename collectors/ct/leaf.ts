import { CtError } from './errors.js';
import { TlsReader } from './tls.js';

/**
 * RFC 6962 §3.4 MerkleTreeLeaf / TimestampedEntry, the extra data of get-entries, and the
 * static-ct-api TileLeaf. Only the TLS structures are parsed here; the certificates stay DER for
 * the detectors (trust's X.509 parser), so a certificate that does not parse still travels.
 */
export type LeafEntryType = 'x509' | 'precert';

export interface TimestampedEntry {
  /** Milliseconds since the epoch (the SCT timestamp). */
  timestamp: number;
  entryType: LeafEntryType;
  /** x509: the leaf certificate DER. precert: the TBSCertificate as logged. */
  signedBytes: Buffer;
  /** precert only: SHA-256 of the issuer's SubjectPublicKeyInfo. */
  issuerKeyHash?: Buffer;
  extensions: Buffer;
}

/** A parsed log entry with its chain: what becomes a ct.entry event. */
export interface CtLogEntry {
  leaf: TimestampedEntry;
  /** The logged certificate: the leaf (x509) or the precertificate (precert). */
  certDer: Buffer;
  /** Leaf's issuer first. */
  chain: Buffer[];
}

function readTimestampedEntry(r: TlsReader): TimestampedEntry {
  const timestamp = r.uint(8);
  const type = r.uint(2);
  switch (type) {
    case 0: {
      const cert = r.vector(3);
      return { timestamp, entryType: 'x509', signedBytes: cert, extensions: r.vector(2) };
    }
    case 1: {
      const issuerKeyHash = r.bytes(32);
      const tbs = r.vector(3);
      return { timestamp, entryType: 'precert', signedBytes: tbs, issuerKeyHash, extensions: r.vector(2) };
    }
    default:
      throw new CtError('CT_ENTRY_MALFORMED', `unknown LogEntryType ${type}`);
  }
}

/** MerkleTreeLeaf (the get-entries leaf_input, the bytes the tree hashes). Throws CT_ENTRY_MALFORMED. */
export function parseMerkleTreeLeaf(input: Buffer): TimestampedEntry {
  const r = new TlsReader(input, 'CT_ENTRY_MALFORMED', 'MerkleTreeLeaf');
  const version = r.uint(1);
  if (version !== 0) throw new CtError('CT_ENTRY_MALFORMED', `MerkleTreeLeaf version ${version} is not v1`);
  const leafType = r.uint(1);
  if (leafType !== 0) throw new CtError('CT_ENTRY_MALFORMED', `MerkleLeafType ${leafType} is not timestamped_entry`);
  const entry = readTimestampedEntry(r);
  r.end();
  return entry;
}

/** get-entries: leaf_input + extra_data (x509: certificate_chain; precert: PrecertChainEntry). */
export function parseRfc6962Entry(leafInput: Buffer, extraData: Buffer): CtLogEntry {
  const leaf = parseMerkleTreeLeaf(leafInput);
  const r = new TlsReader(extraData, 'CT_ENTRY_MALFORMED', 'extra_data');
  if (leaf.entryType === 'x509') {
    const chain = r.certList();
    r.end();
    return { leaf, certDer: leaf.signedBytes, chain };
  }
  const pre = r.vector(3);
  const chain = r.certList();
  r.end();
  return { leaf, certDer: pre, chain };
}

/** A static-ct-api data tile entry: the leaf's MerkleTreeLeaf bytes and the chain's fingerprints. */
export interface TileLeaf {
  merkleTreeLeaf: Buffer;
  leaf: TimestampedEntry;
  certDer: Buffer;
  /** SHA-256 fingerprints of the chain, issuer first; the certificates are at issuer/<hex>. */
  chainFingerprints: Buffer[];
}

/** Splits a static-ct-api data tile into `width` TileLeaf entries. Throws CT_RESPONSE_MALFORMED. */
export function parseDataTile(tile: Buffer, n: number, width: number): TileLeaf[] {
  const r = new TlsReader(tile, 'CT_RESPONSE_MALFORMED', `data tile ${n}`);
  const out: TileLeaf[] = [];
  while (!r.done) {
    const start = r.offset;
    const leaf = readTimestampedEntry(r);
    const end = r.offset;
    const certDer = leaf.entryType === 'precert' ? r.vector(3) : leaf.signedBytes;
    const fps = new TlsReader(r.vector(2), 'CT_RESPONSE_MALFORMED', `data tile ${n} chain`);
    const chainFingerprints: Buffer[] = [];
    while (!fps.done) chainFingerprints.push(fps.bytes(32));
    // The tree hashes MerkleTreeLeaf = version 0 || leaf type 0 || TimestampedEntry.
    const merkleTreeLeaf = Buffer.concat([Buffer.from([0, 0]), tile.subarray(start, end)]);
    out.push({ merkleTreeLeaf, leaf, certDer, chainFingerprints });
  }
  if (out.length !== width) throw new CtError('CT_RESPONSE_MALFORMED', `data tile ${n} has ${out.length} entries, want ${width}`);
  return out;
}
