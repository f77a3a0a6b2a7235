import { configFingerprint, defineModule } from '../../../core/index.js';
import { K8sClusterWatch } from './collector.js';
import { k8sWatchConfigSchema } from './config.js';

/** `collectors.k8s`: list+watch Pods and workloads of one or more clusters; k8s.workload.* events (docs/k8s-watch.md). */
export const k8sWatchModule = defineModule({
  id: 'collectors.k8s',
  summary: 'Watches Pods and workloads in Kubernetes clusters (list+watch, bookmarks, 410 relist) and publishes what starts, changes and stops',
  section: { group: 'collectors', key: 'k8s', schema: k8sWatchConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled
      ? cfg.clusters.map((c) => ({
          name: `collector.k8s:${c.name}`,
          kind: 'collector' as const,
          fingerprint: configFingerprint({ ...cfg, clusters: [c] }),
          create: (ctx) => new K8sClusterWatch(cfg, c, ctx),
        }))
      : [],
});
