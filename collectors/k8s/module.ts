// collectors/k8s: Kubernetes. Each part is a capability module of its own (daemon/registry.ts lists them).
export { admissionModule } from './admission/module.js';
export { k8sInstallModule } from './install/module.js';
export { k8sWatchModule } from './watch/module.js';
