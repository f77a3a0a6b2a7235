import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactRange, leafHash, nodeHash } from '../../../core/tlog/index.js';
import { TILE_WIDTH, tileIndexPath } from '../tiles/client.js';

/**
 * Offline C2SP tlog-tiles server for unit tests: serves /checkpoint, hash tiles and data tiles for
 * a list of entries, checkpoint signed with a given ECDSA P-256 key (signed-note type 0x02, key
 * name = origin). By default the entries are tlog-tiles entry bundles whose bytes are the leaves
 * (Rekor v2); `format` serves another data-tile encoding (static-ct-api style).
 * `size` can be lowered/raised to simulate growth; `hook` injects bad input.
 */
export interface FakeTileFormat {
  tileDir: string;
  encode(entries: Buffer[]): Buffer;
  leafInput(entry: Buffer): Buffer;
}

export const entryBundles: FakeTileFormat = {
  tileDir: 'entries',
  encode: (entries) => Buffer.concat(entries.flatMap((e) => [Buffer.from([e.length >> 8, e.length & 0xff]), e])),
  leafInput: (e) => e,
};

export class FakeTileLog {
  size: number;
  origin = 'chainwatch.test/tiles';
  hook: ((req: IncomingMessage, res: ServerResponse, path: string) => boolean) | undefined;
  url = '';
  /** Paths requested, in order. */
  requests: string[] = [];
  private server: Server | undefined;

  constructor(
    readonly leaves: Buffer[],
    private readonly signerPem: string,
    private readonly format: FakeTileFormat = entryBundles,
  ) {
    this.size = leaves.length;
  }

  checkpoint(size = this.size, root?: Buffer): string {
    const cr = CompactRange.empty();
    cr.appendMany(this.leaves.slice(0, size).map((l) => leafHash(this.format.leafInput(l))));
    const rootHash = root ?? cr.root();
    const text = `${this.origin}\n${size}\n${rootHash.toString('base64')}\n`;
    const key = createPrivateKey(this.signerPem);
    const hint = createHash('sha256')
      .update(createPublicKey(key).export({ type: 'spki', format: 'der' }))
      .digest()
      .subarray(0, 4);
    return `${text}\n\u2014 ${this.origin} ${Buffer.concat([hint, sign('sha256', Buffer.from(text), key)]).toString('base64')}\n`;
  }

  /** Node hashes of complete subtrees at `level` of the tree of `size` leaves. */
  levelHashes(level: number, size = this.size): Buffer[] {
    let row = this.leaves.slice(0, size).map((l) => leafHash(this.format.leafInput(l)));
    for (let l = 0; l < level; l++) row = Array.from({ length: Math.floor(row.length / 2) }, (_, i) => nodeHash(row[2 * i]!, row[2 * i + 1]!));
    return row;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push(path);
    if (this.hook?.(req, res, path)) return;
    if (path === '/checkpoint') return void res.writeHead(200).end(this.checkpoint());
    const m = /^\/tile\/([a-z]+|\d+)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(path);
    if (!m) return void res.writeHead(404).end();
    const n = Number(m[2]!.replace(/x|\//g, ''));
    if (tileIndexPath(n) !== m[2]) return void res.writeHead(404).end();
    const width = m[3] ? Number(m[3]) : TILE_WIDTH;
    if (m[1] === this.format.tileDir) {
      const items = this.leaves.slice(n * TILE_WIDTH, n * TILE_WIDTH + width);
      if (items.length !== width || n * TILE_WIDTH + width > this.size) return void res.writeHead(404).end();
      return void res.writeHead(200).end(this.format.encode(items));
    }
    if (!/^\d+$/.test(m[1]!)) return void res.writeHead(404).end();
    const row = this.levelHashes(8 * Number(m[1]), this.size).slice(n * TILE_WIDTH, n * TILE_WIDTH + width);
    if (row.length !== width) return void res.writeHead(404).end();
    res.writeHead(200).end(Buffer.concat(row));
  }
}
