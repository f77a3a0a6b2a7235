import { type Component, type ComponentContext, parseConfig, type Workload, type CloudEvent } from '../../../core/index.js';
import { type ClusterConfig, type K8sWatchConfig, type K8sWatchConfigInput, k8sWatchConfigSchema } from './config.js';
import type { KubeLister } from './kube.js';
import { OciTagResolver, type TagResolver } from './resolver.js';
import { StreamSnapshot } from './snapshot.js';
import { WatchStream } from './stream.js';

/**
 * The cluster watch of one cluster: one WatchStream per kind and watched namespace (or one per kind
 * across all namespaces), publishing k8s.workload.started/changed/stopped. See stream.ts for the
 * loop and snapshot.ts for what survives a restart.
 */
export interface K8sWatchSeams {
  /** The API server port (tests may pass the real KubeApi built differently). */
  api?: KubeLister;
  resolver?: TagResolver;
}

export class K8sClusterWatch implements Component {
  readonly name: string;
  private streams: WatchStream[] = [];

  constructor(
    private readonly cfg: K8sWatchConfig,
    private readonly cluster: ClusterConfig,
    private readonly ctx: ComponentContext,
    private readonly seams: K8sWatchSeams = {},
  ) {
    this.name = `collector.k8s:${cluster.name}`;
  }

  async start(): Promise<void> {
    if (this.streams.length > 0) return;
    const api = this.seams.api ?? (await kubeApi(this.cluster));
    const resolver = this.seams.resolver ?? new OciTagResolver(this.cfg.resolve, this.ctx.logger, this.ctx.metrics, () => this.ctx.now().getTime());
    const events = this.ctx.metrics.counter('k8s_watch_events_total', 'Workload events and relists of the cluster watch', ['cluster', 'kind', 'type']);
    const scopes = this.cluster.namespaces.length > 0 ? this.cluster.namespaces : [undefined];
    const streams: WatchStream[] = [];
    for (const kind of this.cluster.kinds) {
      for (const namespace of scopes) {
        streams.push(
          new WatchStream({
            cluster: this.cluster.name,
            kind,
            namespace,
            api,
            snapshot: new StreamSnapshot(this.ctx.state, this.cluster.name, kind, namespace),
            resolver,
            publish: (evs: CloudEvent<Workload>[]) => this.ctx.bus.publish(evs),
            source: this.cfg.source,
            pageSize: this.cluster.pageSize,
            watchTimeoutSeconds: Math.round(this.cluster.watchTimeout / 1000),
            logger: this.ctx.logger,
            counted: (type, n = 1) => events.inc({ cluster: this.cluster.name, kind, type }, n),
            now: () => this.ctx.now(),
            fail: (err) => this.ctx.fail(err),
          }),
        );
      }
    }
    // Each stream is registered as soon as it runs, so that a later one failing to start (or a
    // stop() meanwhile) stops every stream already running instead of leaving it unreachable.
    try {
      for (const s of streams) {
        await s.start();
        this.streams.push(s);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.ctx.logger.info({ cluster: this.cluster.name, streams: streams.length }, 'k8s watch started');
  }

  async stop(): Promise<void> {
    const streams = this.streams;
    this.streams = [];
    await Promise.all(streams.map((s) => s.stop()));
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    const behind = this.streams.filter((s) => !s.synced);
    return {
      ready: this.streams.length > 0 && behind.length === 0,
      detail: behind.map((s) => `${s.name}: ${s.lastError ?? 'syncing'}`).join('; ') || 'watching',
    };
  }

  /** Every stream has listed or opened its watch (tests wait for this before changing the cluster). */
  isSynced(): boolean {
    return this.streams.length > 0 && this.streams.every((s) => s.synced);
  }
}

/** One component per cluster; `config` is the raw section (validated here). */
export function createK8sWatches(config: K8sWatchConfigInput, ctx: ComponentContext, seams: K8sWatchSeams = {}): K8sClusterWatch[] {
  const cfg = parseConfig(k8sWatchConfigSchema, config, 'collectors.k8s');
  return cfg.clusters.map((c) => new K8sClusterWatch(cfg, c, ctx, seams));
}

/**
 * The API server client, loaded when a cluster watch starts: @kubernetes/client-node and what it
 * pulls in add ~25 MiB of heap and ~19 MiB of external memory to any process that imports them,
 * which a daemon without `collectors.k8s` should not carry (bench/bus-embedded, idle RSS).
 */
async function kubeApi(cluster: ClusterConfig): Promise<KubeLister> {
  const { KubeApi, kubeConfigOf } = await import('./kube.js');
  return new KubeApi(cluster.name, kubeConfigOf(cluster));
}
