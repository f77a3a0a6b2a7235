import { embeddedBusModule } from '../bus/embedded/module.js';
import { kafkaBusModule } from '../bus/kafka/module.js';
import { ctModule } from '../collectors/ct/module.js';
import { admissionModule, k8sInstallModule, k8sWatchModule } from '../collectors/k8s/module.js';
import { rekorModule } from '../collectors/rekor/module.js';
import { registryModule } from '../collectors/registry/module.js';
import { signaturesModule } from '../collectors/signatures/module.js';
import type { BusModule, CapabilityModule, ReceiverModule } from '../core/index.js';
import { certExpiryModule } from '../detectors/cert-expiry/module.js';
import { ctWatchModule } from '../detectors/ct-watch/module.js';
import { identityWatchModule } from '../detectors/identity-watch/module.js';
import { keyMisuseModule } from '../detectors/key-misuse/module.js';
import { workloadsModule } from '../detectors/workloads/index.js';
import { logIntegrityModule } from '../detectors/log-integrity/module.js';
import { keyInventoryModule, runbooksModule } from '../keys/index.js';
import { createPolicyModule } from '../rules/policy/module.js';
import { provenanceModule } from '../detectors/provenance/module.js';
import { alertmanagerReceiver } from '../sinks/alertmanager/module.js';
import { createAlertsModule } from '../sinks/alerts/module.js';
import { auditModule } from '../sinks/audit/module.js';
import { emailReceiver } from '../sinks/email/module.js';
import { gitHubReceiver } from '../sinks/github/module.js';
import { jiraReceiver } from '../sinks/jira/module.js';
import { journalModule } from '../sinks/journal/module.js';
import { pagerDutyReceiver } from '../sinks/pagerduty/module.js';
import { serviceNowReceiver } from '../sinks/servicenow/module.js';
import { slackReceiver } from '../sinks/slack/module.js';
import { webhookReceiver } from '../sinks/webhook/module.js';
import { loadBundleFactsLazily, trustModule } from '../trust/module.js';

/**
 * THE registry: every capability the daemon knows, in one list each. The config schema, the
 * supervisor's components, the HTTP routes and the CLI commands are all derived from these lists
 * (docs/architecture.md, "Adding a capability"). Order matters only for help output.
 */

/** Bus adapters (`bus.kind`). */
export const busModules: readonly BusModule[] = [embeddedBusModule, kafkaBusModule];

/** Receiver kinds of the alert pipeline (`sinks.alerts.receivers[].kind`). */
export const receiverModules: readonly ReceiverModule[] = [
  webhookReceiver,
  alertmanagerReceiver,
  emailReceiver,
  slackReceiver,
  pagerDutyReceiver,
  jiraReceiver,
  gitHubReceiver,
  serviceNowReceiver,
];

/** The alert pipeline with the receiver kinds above. */
export const alertsModule = createAlertsModule(receiverModules);

/** Collectors, detectors, sinks and command-only capabilities. */
export const capabilityModules: readonly CapabilityModule[] = [
  rekorModule,
  ctModule,
  registryModule,
  signaturesModule,
  admissionModule,
  k8sWatchModule,
  logIntegrityModule,
  identityWatchModule,
  ctWatchModule,
  certExpiryModule,
  keyMisuseModule,
  workloadsModule,
  provenanceModule,
  auditModule,
  alertsModule,
  journalModule,
  trustModule,
  createPolicyModule(loadBundleFactsLazily),
  keyInventoryModule,
  runbooksModule,
  k8sInstallModule,
] as readonly CapabilityModule[];
