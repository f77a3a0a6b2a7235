// Kubernetes: the cluster watch (collectors.k8s, ./watch) and what it shares with admission (./shared).
export * from './watch/index.js';
