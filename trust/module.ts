import { defineModule } from '../core/index.js';
import { trustCommands } from './commands.js';

/** trust/ contributes commands only: offline verification of Sigstore bundles and log checkpoints. */
export const trustModule = defineModule({
  id: 'trust',
  summary: 'Sigstore bundle and transparency-log checkpoint verification (conformance CLI protocol)',
  commands: trustCommands(),
});
