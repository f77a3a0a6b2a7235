// Public surface of collectors/k8s: the cluster watch (collectors.k8s, ./watch), the install manifests
// (`chainwatch k8s manifests`, ./install); admission's module is in ./module.ts.
export { k8sInstallModule } from './install/module.js';
export {
  DEFAULTS as K8S_MANIFEST_DEFAULTS,
  K8sInstallError,
  type K8sInstallErrorCode,
  labelRequirement,
  manifestOptions,
  manifestsCommand,
} from './install/command.js';
export {
  ADMITTED,
  HTTP_PORT,
  IN_CLUSTER,
  MUTATE_PATH,
  TLS_MOUNT,
  TLS_PORT,
  TOKEN_ENV,
  TOKEN_KEY,
  VALIDATE_PATH,
  type LabelRequirement,
  type ManifestOptions,
  manifests,
  renderManifests,
  WATCHED,
} from './install/manifests.js';
export * from './watch/index.js';
