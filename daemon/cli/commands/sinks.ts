import { deadLettersCommand } from '../../../sinks/alerts/index.js';
import { loadConfig } from '../../config/load.js';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';

export const sinksDeadLetters: Command = {
  name: 'sinks dead-letters',
  summary: 'List or replay notifications a sink could not deliver',
  usage: `chainwatch sinks dead-letters list [--sink NAME] [--json] [--data-dir DIR] [--config FILE]
       chainwatch sinks dead-letters replay (ID... | --all) [--sink NAME] [--data-dir DIR] [--config FILE]

  Replayed notifications go back to their sink's outbox; a running daemon delivers them.`,
  rawArgs: true,
  async run({ argv }, io) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' } },
      strict: false,
      allowPositionals: true,
    });
    const { config } = loadConfig({ file: values.config as string | undefined, env: io.env, flags: { dataDir: values['data-dir'] as string | undefined } });
    const rest = stripOption(stripOption(argv, '--config', '-c'), '--data-dir');
    if (config.sinks.alerts?.file) rest.push('--file', config.sinks.alerts.file);
    return deadLettersCommand(rest, {
      out: (l) => void io.stdout.write(`${l}\n`),
      err: (l) => void io.stderr.write(`${l}\n`),
      dataDir: config.dataDir,
    });
  },
};

function stripOption(argv: string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (names.includes(a)) i++;
    else if (!names.some((n) => a.startsWith(`${n}=`))) out.push(a);
  }
  return out;
}
