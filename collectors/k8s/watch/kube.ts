import { AppsV1Api, BatchV1Api, type ConfigurationOptions, CoreV1Api, KubeConfig, Observable, type ObservableMiddleware, Watch } from '@kubernetes/client-node';
import type { WorkloadKind } from '../../../core/index.js';
import type { ClusterConfig } from './config.js';
import { classify, K8sWatchError } from './errors.js';

/**
 * The Kubernetes API server, through @kubernetes/client-node: paged lists with the typed APIs and
 * watch streams with its Watch (allowWatchBookmarks on). This adapter knows paths and verbs only;
 * what a list or an event means for the durable snapshot is the stream's business (stream.ts).
 */
export interface ListPage {
  items: unknown[];
  /** The list's resourceVersion: a watch from it sees every later change. */
  resourceVersion: string;
  continue: string | undefined;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

/** The port stream.ts needs; KubeApi is the real one. */
export interface KubeLister {
  /** One page; `signal` ends it early (the stream's stop). A page that takes longer than LIST_TIMEOUT_MS fails as K8S_UNREACHABLE. */
  list(kind: WorkloadKind, namespace: string | undefined, limit: number, cont: string | undefined, signal: AbortSignal): Promise<ListPage>;
  /**
   * Opens a watch from `resourceVersion`. `onEvent` is called per event in order; `onDone` once,
   * when the stream ends (undefined: closed normally, e.g. the server-side timeout) or fails.
   */
  watch(
    kind: WorkloadKind,
    namespace: string | undefined,
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (err: K8sWatchError | undefined) => void,
  ): Promise<WatchHandle>;
}

const PATHS: Record<WorkloadKind, { group: string; plural: string }> = {
  Pod: { group: '/api/v1', plural: 'pods' },
  Deployment: { group: '/apis/apps/v1', plural: 'deployments' },
  ReplicaSet: { group: '/apis/apps/v1', plural: 'replicasets' },
  StatefulSet: { group: '/apis/apps/v1', plural: 'statefulsets' },
  DaemonSet: { group: '/apis/apps/v1', plural: 'daemonsets' },
  Job: { group: '/apis/batch/v1', plural: 'jobs' },
  CronJob: { group: '/apis/batch/v1', plural: 'cronjobs' },
};

export function resourcePath(kind: WorkloadKind, namespace: string | undefined): string {
  const p = PATHS[kind];
  return namespace === undefined ? `${p.group}/${p.plural}` : `${p.group}/namespaces/${encodeURIComponent(namespace)}/${p.plural}`;
}

/** Builds the client configuration of one cluster: a kubeconfig file, or server + token (or token file) + CA file. */
export function kubeConfigOf(c: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (c.kubeconfig !== undefined) {
      kc.loadFromFile(c.kubeconfig);
    } else {
      kc.loadFromOptions({
        clusters: [{ name: c.name, server: c.server, caFile: c.caFile, skipTLSVerify: false }],
        // tokenFile: the client's file auth provider (the one loadFromCluster uses) re-reads the
        // file when its copy is over 60 s old, as client-go does; the kubelet refreshes a projected
        // token well before it expires, so the copy in use is always valid.
        users: [
          c.tokenFile !== undefined
            ? { name: 'chainwatch', authProvider: { name: 'tokenFile', config: { tokenFile: c.tokenFile } } }
            : { name: 'chainwatch', token: c.token?.reveal() },
        ],
        contexts: [{ name: c.name, cluster: c.name, user: 'chainwatch' }],
        currentContext: c.name,
      });
    }
  } catch (err) {
    throw new K8sWatchError('K8S_CONFIG_INVALID', `cluster ${c.name}: cannot load its client configuration`, { cause: err });
  }
  if (!kc.getCurrentCluster()) throw new K8sWatchError('K8S_CONFIG_INVALID', `cluster ${c.name}: the kubeconfig has no current cluster`);
  return kc;
}

/**
 * The longest one list page may take. The typed list APIs have no timeout of their own: without
 * this bound an API server that accepts the connection and never answers holds a relist (and a
 * stop waiting for it) forever.
 */
const LIST_TIMEOUT_MS = 60_000;

interface Listed {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export class KubeApi implements KubeLister {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly watcher: Watch;

  constructor(
    private readonly cluster: string,
    kc: KubeConfig,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.watcher = new Watch(kc);
  }

  async list(kind: WorkloadKind, namespace: string | undefined, limit: number, cont: string | undefined, signal: AbortSignal): Promise<ListPage> {
    const what = `${this.cluster}: list ${resourcePath(kind, namespace)}`;
    let res: Listed;
    try {
      const opts = withSignal(AbortSignal.any([signal, AbortSignal.timeout(LIST_TIMEOUT_MS)]));
      res = await this.listOnce(kind, namespace, { limit, ...(cont !== undefined ? { _continue: cont } : {}) }, opts);
    } catch (err) {
      throw classify(err, what);
    }
    const rv = res.metadata?.resourceVersion;
    if (!Array.isArray(res.items) || !rv) throw new K8sWatchError('K8S_BAD_RESPONSE', `${what}: no items or resourceVersion`);
    return { items: res.items, resourceVersion: rv, continue: res.metadata?._continue || undefined };
  }

  private listOnce(kind: WorkloadKind, ns: string | undefined, q: { limit: number; _continue?: string }, o: ConfigurationOptions): Promise<Listed> {
    switch (kind) {
      case 'Pod':
        return ns === undefined ? this.core.listPodForAllNamespaces(q, o) : this.core.listNamespacedPod({ ...q, namespace: ns }, o);
      case 'Deployment':
        return ns === undefined ? this.apps.listDeploymentForAllNamespaces(q, o) : this.apps.listNamespacedDeployment({ ...q, namespace: ns }, o);
      case 'ReplicaSet':
        return ns === undefined ? this.apps.listReplicaSetForAllNamespaces(q, o) : this.apps.listNamespacedReplicaSet({ ...q, namespace: ns }, o);
      case 'StatefulSet':
        return ns === undefined ? this.apps.listStatefulSetForAllNamespaces(q, o) : this.apps.listNamespacedStatefulSet({ ...q, namespace: ns }, o);
      case 'DaemonSet':
        return ns === undefined ? this.apps.listDaemonSetForAllNamespaces(q, o) : this.apps.listNamespacedDaemonSet({ ...q, namespace: ns }, o);
      case 'Job':
        return ns === undefined ? this.batch.listJobForAllNamespaces(q, o) : this.batch.listNamespacedJob({ ...q, namespace: ns }, o);
      case 'CronJob':
        return ns === undefined ? this.batch.listCronJobForAllNamespaces(q, o) : this.batch.listNamespacedCronJob({ ...q, namespace: ns }, o);
    }
  }

  async watch(
    kind: WorkloadKind,
    namespace: string | undefined,
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (err: K8sWatchError | undefined) => void,
  ): Promise<WatchHandle> {
    const path = resourcePath(kind, namespace);
    const what = `${this.cluster}: watch ${path}`;
    let done = false;
    const finish = (err: K8sWatchError | undefined): void => {
      if (done) return;
      done = true;
      onDone(err);
    };
    const controller = await this.watcher.watch(
      path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type: string, obj: unknown) => {
        if (done) return;
        // An ERROR event carries a Status: 410 means the resourceVersion was compacted away.
        if (type === 'ERROR') return finish(classify(obj, what));
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') onEvent(type, obj);
      },
      // The client's inactivity timeout (30 s without a byte) ends a quiet stream: a normal end,
      // the stream re-watches from its cursor at once.
      (err: unknown) => finish(err && (err as { name?: string }).name !== 'TimeoutError' ? classify(err, what) : undefined),
    );
    return { abort: () => controller.abort() };
  }
}

/**
 * Per-call options that hand `signal` to the request (the generated APIs take no signal argument;
 * a middleware appended to the client's own sets it on the request context, which fetch uses).
 */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  const m: ObservableMiddleware = {
    pre: (req) => {
      req.setSignal(signal);
      return new Observable(Promise.resolve(req));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [m], middlewareMergeStrategy: 'append' };
}
