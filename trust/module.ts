import { defineModule } from '../core/index.js';
import { trustCommands } from './commands.js';
import { inspectCertCommand } from './inspect.js';

/** trust/ contributes commands only: offline verification of Sigstore bundles and log checkpoints, and certificate inspection. */
export const trustModule = defineModule({
  id: 'trust',
  summary: 'Sigstore bundle and transparency-log checkpoint verification (conformance CLI protocol), X.509 inspection',
  commands: [...trustCommands(), inspectCertCommand],
});
