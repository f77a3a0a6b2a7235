// The cluster watch (collectors.k8s): list+watch of Pods and workloads, k8s.workload.* events.
export { createK8sWatches, K8sClusterWatch, type K8sWatchSeams } from './collector.js';
export { k8sWatchConfigSchema, type K8sWatchConfig, type K8sWatchConfigInput, type ClusterConfig } from './config.js';
export { K8sWatchError, type K8sWatchErrorCode } from './errors.js';
export { KubeApi, kubeConfigOf, resourcePath, type KubeLister } from './kube.js';
export { k8sWatchModule } from './module.js';
