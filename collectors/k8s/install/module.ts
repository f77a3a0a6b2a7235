import { defineModule } from '../../../core/index.js';
import { manifestsCommand } from './command.js';

/** Commands only: the Kubernetes install manifests (`chainwatch k8s manifests`; docs/kubernetes.md). */
export const k8sInstallModule = defineModule({
  id: 'k8s-install',
  summary: 'Kubernetes install manifests: admission webhook configurations, RBAC for the cluster watch, Service, Deployment',
  commands: [manifestsCommand],
});
