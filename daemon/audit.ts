import { hostname, userInfo } from 'node:os';
import { createKeyProvider } from '../keys/index.js';
import { type AuditCliDeps, auditDir, type AuditStore, checkpointKeyRef, createAuditStore, getRecordWithProof } from '../sinks/audit/index.js';
import type { Config } from './config/schema.js';
import { send, type HttpServer } from './http.js';

/** Opens the configured audit store (the daemon's sink writes it; CLI and HTTP read it). */
export async function openAuditStore(config: Config): Promise<AuditStore> {
  const store = createAuditStore(config.sinks.audit.backend, { dataDir: config.dataDir });
  await store.open();
  return store;
}

export function auditCliDeps(config: Config, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): AuditCliDeps {
  let actor = 'unknown';
  try {
    actor = `${userInfo().username}@${hostname()}`;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return {
    openStore: () => openAuditStore(config),
    keyDir: auditDir(config.dataDir),
    keys: createKeyProvider(),
    keyRef: checkpointKeyRef(config.sinks.audit, auditDir(config.dataDir)),
    instance: config.sinks.audit.instance,
    actor,
    out: (line) => void io.stdout.write(line.endsWith('\n') ? line : `${line}\n`),
    err: (line) => void io.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
  };
}

/** GET /audit/records/<id|index>: the record with its inclusion proof against the latest checkpoint. */
export function registerAuditRoutes(http: HttpServer, config: Config): void {
  if (!config.sinks.audit.enabled) return;
  let store: Promise<AuditStore> | undefined;
  http.route('/audit/records/', async (req, res, url) => {
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
    let id: string;
    try {
      id = decodeURIComponent(url.pathname.slice('/audit/records/'.length));
    } catch {
      return send(res, 400, { error: 'malformed record id' });
    }
    if (!id) return send(res, 400, { error: 'record id or index required' });
    // A failed open (store briefly unreachable) must not be cached: the next request tries again.
    const opening = (store ??= openAuditStore(config).catch((err: unknown) => {
      store = undefined;
      throw err;
    }));
    const proof = await getRecordWithProof(await opening, id);
    if (!proof) return send(res, 404, { error: 'no such audit record' });
    send(res, 200, proof);
  });
}
