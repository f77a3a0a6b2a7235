// detectors.workloads: what runs in the watched clusters, judged (docs/k8s-watch.md).
export { createWorkloadsDetector, WorkloadsDetector } from './detector.js';
export { workloadsConfigSchema, type WorkloadsConfig, type WorkloadsConfigInput } from './config.js';
export { RULES } from './rules.js';
export { workloadsModule } from './module.js';
