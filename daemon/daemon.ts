import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/index.js';
import type { Bus, ComponentContext, Logger } from '../core/index.js';
import { SqliteStateStore } from '../stores/sqlite/sqlite-state-store.js';
import { buildComponents } from './components.js';
import type { Config } from './config/schema.js';
import { HttpServer } from './http.js';
import { PromMetrics } from './metrics.js';
import { Supervisor } from './supervisor.js';
import { registerRoutes } from './routes.js';

/**
 * The composition root: builds the bus, the state store and every configured component, and owns
 * the order of start and shutdown. Shutdown: stop intake (collectors), drain consumers (detectors,
 * then sinks) so every handled event is committed, flush and close the bus and stores.
 */
export async function createBus(config: Config, logger: Logger, metrics: PromMetrics): Promise<Bus> {
  const kind = config.bus.kind;
  switch (kind) {
    case 'embedded':
      return new EmbeddedBus(
        { ...config.bus.embedded, path: config.bus.embedded.path ?? join(config.dataDir, 'bus.db') },
        logger.child({ component: 'bus.embedded' }),
        metrics,
      );
    case 'kafka': {
      // Loaded only when configured: the embedded default never loads a Kafka client.
      const { KafkaBus } = await import('../bus/kafka/index.js');
      return new KafkaBus({ ...config.bus.kafka!, clientId: config.bus.kafka?.clientId ?? config.instance }, { logger, metrics });
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown bus kind ${String(never)}`);
    }
  }
}

export class Daemon {
  readonly bus: Bus;
  readonly state: SqliteStateStore;
  readonly http: HttpServer;
  private readonly supervisor: Supervisor;
  private draining = false;
  private started = false;
  private stopping: Promise<void> | undefined;

  static async create(config: Config, logger: Logger): Promise<Daemon> {
    const metrics = new PromMetrics();
    return new Daemon(config, logger, metrics, await createBus(config, logger, metrics));
  }

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly metrics: PromMetrics,
    bus: Bus,
  ) {
    mkdirSync(config.dataDir, { recursive: true });
    this.state = new SqliteStateStore(join(config.dataDir, 'state.db'));
    this.bus = bus;
    const context = (name: string, fail: (err: unknown) => void): ComponentContext => ({
      bus: this.bus,
      state: this.state,
      logger: logger.child({ component: name }),
      metrics: this.metrics,
      dataDir: config.dataDir,
      fail,
      now: () => new Date(),
    });
    this.supervisor = new Supervisor(buildComponents(config, config.http.publicUrl), {
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
    });
    registerRoutes(this);
  }

  readiness(): { ready: boolean; checks: unknown } {
    const bus = this.bus.health();
    const state = this.state.isOpen();
    const components = this.supervisor.status();
    const ready = this.started && !this.draining && bus.ready && state && components.every((c) => c.ready);
    return { ready, checks: { draining: this.draining, bus: { kind: this.bus.kind, ...bus }, stateStore: { ready: state }, components } };
  }

  /** Starts everything; returns the bound HTTP port. */
  async start(): Promise<number> {
    const port = await this.http.start(this.config.http.host, this.config.http.port);
    await this.bus.start();
    await this.supervisor.start();
    this.started = true;
    this.logger.info({ port, bus: this.bus.kind, dataDir: this.config.dataDir, components: this.supervisor.status().map((c) => c.name) }, 'chainwatch started');
    return port;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.draining = true;
      await this.supervisor.stop(['collector', 'detector', 'sink']);
      await this.supervisor.flush();
      await this.bus.flush().catch(() => undefined);
      await this.bus.stop();
      this.state.close();
      await this.http.stop();
      this.logger.info({}, 'chainwatch stopped');
    })();
    return this.stopping;
  }
}
