import { parseArgs } from 'node:util';
import { auditCommand } from '../../../sinks/audit/index.js';
import { auditCliDeps } from '../../audit.js';
import { loadConfig } from '../../config/load.js';
import type { Command } from '../command.js';

export const audit: Command = {
  name: 'audit',
  summary: 'Query, prove, annotate and verify the tamper-evident audit trail',
  usage: `chainwatch audit <query|proof|note|verify|checkpoint> [options] [--data-dir DIR] [--config FILE]

  query   [--since T] [--until T] [--subject S] [--digest D] [--identity I] [--type T] [--kind K]
          [--severity S] [--limit N] [--after INDEX] [--desc] [--json | --csv]
  proof   ID|INDEX                 inclusion proof against the latest signed checkpoint (JSON)
  note    TEXT [--subject S]       an analyst's note or acknowledgement (itself audited)
  verify  [--json]                 exit 0 intact; 1 naming the first changed, dropped or reordered record
  checkpoint                       sign a checkpoint of the current tree now
See docs/audit.md.`,
  rawArgs: true,
  async run({ argv }, io) {
    // Only --config/--data-dir matter here; the audit CLI validates everything else itself.
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' } },
      strict: false,
      allowPositionals: true,
    });
    const { config } = loadConfig({ file: values.config as string | undefined, env: io.env, flags: { dataDir: values['data-dir'] as string | undefined } });
    return auditCommand(argv, auditCliDeps(config, io));
  },
};
