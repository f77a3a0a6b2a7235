import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InclusionProof, LogEntry } from '@sigstore/rekor-types';
import type { LogInfo } from '@sigstore/rekor-types/dist/__generated__/index.js';

/**
 * Offline twin of a Rekor v1 server for unit tests and the benchmark. It serves the REAL responses
 * recorded from a local Rekor (local-rekor.json, see record.sh and README.md); tests mutate
 * `head`, or install a `hook`, to inject bad input.
 */
export interface Recording {
  recordedAt: string;
  publicKey: string;
  /** Private key of the throw-away log of that recording run (tests forge forks with it). */
  testOnlySignerKey: string;
  heads: LogInfoJson[];
  proof: { rootHash?: string; hashes: string[] };
  /** One {uuid: entry} object per log index. */
  entries: Record<string, EntryJson>[];
}
/** GET /api/v1/log as Rekor's API types it (@sigstore/rekor-types); extra fields are kept verbatim. */
export type LogInfoJson = LogInfo & { [k: string]: unknown };
/** One entry of POST /api/v1/log/entries/retrieve, as recorded: every optional part present. */
export type EntryJson = Omit<LogEntry[string], 'body' | 'verification'> & {
  /** Base64 of the canonical entry JSON (rekor-types leaves it `any`). */
  body: string;
  verification: { inclusionProof: InclusionProof; signedEntryTimestamp: string };
};

export function loadRecording(): Recording {
  return JSON.parse(readFileSync(new URL('../testdata/local-rekor.json', import.meta.url), 'utf8')) as Recording;
}

type Hook = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

export class FakeRekor {
  /** Index into rec.heads served by GET /api/v1/log, or a replacement object. */
  head: LogInfoJson;
  /** Return true when the hook answered the request itself. */
  hook: Hook | undefined;
  /** Per-entry mutation before serving. */
  mutateEntry: ((e: EntryJson, index: number) => EntryJson) | undefined;
  requests: string[] = [];
  private server: Server | undefined;
  url = '';

  constructor(readonly rec: Recording) {
    this.head = rec.heads[rec.heads.length - 1]!;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${u.pathname}`);
    let body = '';
    for await (const c of req) body += c;
    if (this.hook?.(req, res, u.pathname)) return;
    const json = (v: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    };
    if (u.pathname === '/api/v1/log') return json(this.head);
    if (u.pathname === '/api/v1/log/proof') {
      const [first, last] = [Number(u.searchParams.get('firstSize')), Number(u.searchParams.get('lastSize'))];
      const [a, b] = [this.rec.heads[0]!.treeSize, this.rec.heads[1]!.treeSize];
      if (first === a && last === b) return json(this.rec.proof);
      if (first === last) return json({ hashes: [] });
      res.writeHead(400).end('{"code":400,"message":"no such proof recorded"}');
      return;
    }
    if (u.pathname === '/api/v1/log/entries/retrieve' && req.method === 'POST') {
      const { logIndexes } = JSON.parse(body) as { logIndexes: number[] };
      const out = logIndexes.flatMap((i) => {
        const obj = this.rec.entries[i];
        if (!obj) return [];
        const [uuid, e] = Object.entries(obj)[0]!;
        return [{ [uuid]: this.mutateEntry ? this.mutateEntry(structuredClone(e), i) : e }];
      });
      return json(out);
    }
    res.writeHead(404).end();
  }
}
