import { readFileSync } from 'node:fs';
import {
  type Bus,
  type CapabilityModule,
  type ClosableStateStore,
  type ComponentContext,
  configFingerprint,
  describeError,
  type KeyProvider,
  type Logger,
} from '../core/index.js';
import { type DataDirLock, ensurePrivateDir, lockDataDir } from '../core/sqlite/index.js';
import { createKeyProvider } from '../keys/index.js';
import { stateStoreFor } from '../stores/sqlite/index.js';
import { createBus } from './bus.js';
import { exposureWarnings } from './config/exposure.js';
import type { Config } from './config/schema.js';
import { HttpServer, type TlsMaterial, TlsMaterialError } from './http/server.js';
import { PromMetrics } from './metrics.js';
import { FileWatcher } from './file-watch.js';
import { moduleWarnings, plan, preflight, watchedFiles } from './plan.js';
import { capabilityModules } from './registry.js';
import { DaemonStorageMonitor } from './storage-monitor.js';
import { Supervisor } from './supervisor.js';

/**
 * The composition root at run time: the bus, the state store, the supervisor running what the
 * modules planned, the HTTP server serving what they routed. It owns the order of start and
 * shutdown: stop intake (collectors), drain consumers (detectors, then sinks) so every handled
 * event is committed, flush and close the bus and stores. Nothing in here knows any capability.
 */
export class Daemon {
  readonly bus: Bus;
  readonly state: ClosableStateStore;
  readonly keys: KeyProvider = createKeyProvider();
  readonly http: HttpServer;
  private readonly supervisor: Supervisor;
  private draining = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** The files modules plan from (a CT log list): a change plans again and reconciles. */
  private readonly watcher = new FileWatcher((path) => void this.filesChanged(path));
  /** The TLS listener's certificate, key and client CA: a change (a rotated serving certificate) is loaded at once. */
  private readonly tlsWatcher = new FileWatcher((path) => this.tlsFilesChanged(path));
  private readonly tlsReloads;

  /**
   * Takes the data directory's lock first (throws StorageError STORAGE_LOCKED naming the holder),
   * so a second daemon touches none of the stores; the lock goes with the process or at stop().
   */
  static async create(config: Config, logger: Logger, modules: readonly CapabilityModule[] = capabilityModules): Promise<Daemon> {
    const lock = lockDataDir(config.dataDir);
    try {
      const metrics = new PromMetrics();
      // Before the bus: the bus reports its own full disk into it, and it publishes through the bus.
      const storage = new DaemonStorageMonitor(logger.child({ component: 'storage' }), metrics, config.instance);
      const bus = await createBus(config, logger, metrics, undefined, storage);
      return new Daemon(config, logger, metrics, bus, modules, lock, storage);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private constructor(
    private config: Config,
    readonly logger: Logger,
    readonly metrics: PromMetrics,
    bus: Bus,
    private readonly modules: readonly CapabilityModule[],
    private readonly lock: DataDirLock,
    private readonly storage: DaemonStorageMonitor,
  ) {
    ensurePrivateDir(config.dataDir);
    // On the embedded bus the state lives in bus.db: a cursor can never be durable ahead of the
    // records it covers, across power loss too (docs/bus-embedded.md).
    this.state = stateStoreFor(bus, config.dataDir, storage);
    this.bus = bus;
    const context = (name: string, fail: (err: unknown) => void): ComponentContext => ({
      bus: this.bus,
      state: this.state,
      logger: logger.child({ component: name }),
      metrics: this.metrics,
      dataDir: config.dataDir,
      keys: this.keys,
      fail,
      now: () => new Date(),
      storage,
    });
    const planned = plan(config, modules);
    this.supervisor = new Supervisor(planned.components, {
      minBackoffMs: config.supervisor.minBackoff,
      maxBackoffMs: config.supervisor.maxBackoff,
      context,
      logger,
      metrics: this.metrics,
    });
    this.http = new HttpServer({
      ready: () => this.readiness(),
      metrics: async () => ({ body: await this.metrics.text(), contentType: this.metrics.contentType }),
      logger,
      meter: this.metrics,
    });
    this.http.setRoutes(planned.routes);
    this.tlsReloads = this.metrics.counter('tls_reloads_total', 'TLS certificate reloads after its files changed, by outcome (ok, refused)', ['outcome']);
  }

  readiness(): { ready: boolean; checks: unknown } {
    const bus = this.bus.health();
    const state = this.state.isOpen();
    const components = this.supervisor.status();
    // A store whose writes fail for want of disk: not ready, naming store, path and cause.
    const storage = this.storage.conditions();
    const ready = this.started && !this.draining && bus.ready && state && storage.length === 0 && components.every((c) => c.ready);
    return { ready, checks: { draining: this.draining, bus: { kind: this.bus.kind, ...bus }, stateStore: { ready: state }, storage, components } };
  }

  /** Starts everything; returns the bound HTTP port(s). */
  async start(): Promise<{ port: number; tlsPort?: number }> {
    const { http } = this.config;
    // Before anything listens or consumes: a refusal (ConfigError CONFIG_UNSAFE) leaves nothing half-started.
    await preflight(this.config, this.modules, this.keys);
    const ports = await this.http.start(
      http.host,
      http.port,
      http.tls ? { host: http.tls.host ?? http.host, port: http.tls.port, material: tlsMaterial(http.tls) } : undefined,
    );
    for (const w of [...exposureWarnings(this.config), ...moduleWarnings(this.config, this.modules)]) this.logger.warn({ path: w.path }, w.message);
    await this.bus.start();
    this.storage.attach(this.bus);
    await this.supervisor.start();
    this.started = true;
    this.watcher.set(watchedFiles(this.config, this.modules));
    this.tlsWatcher.set(tlsFiles(this.config));
    this.logger.info(
      { ...ports, bus: this.bus.kind, dataDir: this.config.dataDir, components: this.supervisor.status().map((c) => c.name) },
      'chainwatch started',
    );
    return ports;
  }

  /**
   * Applies a new, already validated config (SIGHUP): components and routes follow it, unchanged
   * components keep running, the TLS certificate is re-read. Everything that can fail (planning,
   * duplicate names, route checks, reading the TLS files) happens before anything changes.
   * Settings that need a restart (data dir, instance, bus, listeners, client CA on or off,
   * logging, tracing, supervisor, shutdown) are reported, not applied.
   */
  async reload(next: Config): Promise<{ started: string[]; stopped: string[]; restarted: string[]; needsRestart: string[] }> {
    if (this.stopping) throw new Error('the daemon is stopping');
    const needsRestart = restartOnly(this.config, next);
    const kept = { dataDir: this.config.dataDir, instance: this.config.instance, bus: this.config.bus };
    const planned = plan({ ...next, ...kept }, this.modules);
    const tls = next.http.tls && !needsRestart.includes('http.tls') ? tlsMaterial(next.http.tls) : undefined;
    const commitRoutes = this.http.prepareRoutes(planned.routes);
    const result = await this.supervisor.reconcile(planned.components);
    commitRoutes();
    if (tls) this.http.reloadTls(tls);
    this.config = { ...next, ...kept };
    this.watcher.set(watchedFiles(this.config, this.modules));
    this.tlsWatcher.set(tlsFiles(this.config));
    this.logger.info({ ...result, needsRestart }, 'configuration reloaded');
    if (needsRestart.length) this.logger.warn({ settings: needsRestart }, 'these settings changed but take effect only after a restart');
    return { ...result, needsRestart };
  }

  /**
   * A watched file changed: plan the running config again and reconcile. A file that does not plan
   * (CT_LOGLIST_INVALID, a listed log that cannot be followed) changes nothing: reload() fails
   * before the supervisor is touched, so the last good list stays in force.
   */
  private async filesChanged(path: string): Promise<void> {
    if (this.stopping) return;
    try {
      await this.reload(this.config);
    } catch (err) {
      const { code, message } = describeError(err);
      this.logger.error({ code, file: path, err: message }, 'a watched file changed but does not plan; what runs stays as it was');
    }
  }

  /**
   * A TLS file changed (cert-manager or the kubelet rotated the serving certificate): the next
   * handshake gets the new pair. Material that is not usable yet (the certificate written, its key
   * not yet) is refused with a log line and `chainwatch_tls_reloads_total{outcome="refused"}`; the
   * listener keeps the pair it has, and the next change is tried again.
   */
  private tlsFilesChanged(path: string): void {
    const tls = this.config.http.tls;
    if (this.stopping || !tls) return;
    try {
      this.http.reloadTls(tlsMaterial(tls));
      this.tlsReloads.inc({ outcome: 'ok' });
      this.logger.info({ file: path }, 'TLS certificate reloaded');
    } catch (err) {
      this.tlsReloads.inc({ outcome: 'refused' });
      const { code, message } = describeError(err);
      this.logger.error({ code, file: path, err: message }, 'a TLS file changed but the new material is not usable; serving the previous certificate');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.draining = true;
      // Contributed routes (webhooks, admission) stop accepting work before the bus goes away.
      this.http.setRoutes([]);
      this.watcher.close();
      this.tlsWatcher.close();
      await this.supervisor.stop();
      await this.storage.stop();
      await this.bus.flush().catch(() => undefined);
      await this.bus.stop();
      this.state.close();
      await this.http.stop();
      this.lock.release();
      this.logger.info({}, 'chainwatch stopped');
    })();
    return this.stopping;
  }
}

function tlsMaterial(tls: NonNullable<Config['http']['tls']>): TlsMaterial {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new TlsMaterialError('TLS_MATERIAL_UNREADABLE', `cannot read ${path}`, { cause: err });
    }
  };
  return { cert: read(tls.cert), key: read(tls.key), ...(tls.clientCa ? { clientCa: read(tls.clientCa) } : {}) };
}

const tlsFiles = (config: Config): string[] => {
  const t = config.http.tls;
  return t ? [t.cert, t.key, ...(t.clientCa ? [t.clientCa] : [])] : [];
};

/** Settings a running daemon cannot change in place (compared by fingerprint: a rotated secret counts). */
export function restartOnly(a: Config, b: Config): string[] {
  const same = (x: unknown, y: unknown): boolean => configFingerprint(x ?? null) === configFingerprint(y ?? null);
  const listener = (t: Config['http']['tls']) => t && { host: t.host, port: t.port, clientCa: t.clientCa !== undefined };
  const out: string[] = [];
  if (a.dataDir !== b.dataDir) out.push('dataDir');
  if (a.instance !== b.instance) out.push('instance');
  if (!same(a.bus, b.bus)) out.push('bus');
  if (a.http.host !== b.http.host || a.http.port !== b.http.port) out.push('http.host/port');
  // Whether client certificates are asked for is fixed when the TLS listener is created.
  if (!same(listener(a.http.tls), listener(b.http.tls))) out.push('http.tls');
  for (const k of ['log', 'tracing', 'supervisor', 'shutdown'] as const) if (!same(a[k], b[k])) out.push(k);
  return out;
}
