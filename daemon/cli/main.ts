import { ChainwatchError, ConfigError, describeError } from '../../core/index.js';
import { type Command, EXIT, type Io, parse, reportConfigError, UsageError } from './command.js';
import { commands } from './commands/index.js';

/**
 * `chainwatch` entry point. Commands are found by their longest matching word prefix
 * ("events publish" before "events"); every command answers --help; errors go to stderr
 * with a non-zero exit code.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const cmd = findCommand(argv);
  if (!cmd) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout.write(topHelp());
      return argv.length === 0 ? EXIT.usage : EXIT.ok;
    }
    io.stderr.write(`chainwatch: unknown command '${argv.slice(0, 2).join(' ')}'\n\n${topHelp()}`);
    return EXIT.usage;
  }
  const rest = argv.slice(cmd.name.split(' ').length);
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(commandHelp(cmd));
      return EXIT.ok;
    }
    if (cmd.rawArgs) return await cmd.run({ values: {}, positionals: rest, argv: rest }, io);
    const parsed = parse(cmd, rest);
    return await cmd.run({ ...parsed, argv: rest }, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`chainwatch ${cmd.name}: ${err.message}\n\n${commandHelp(cmd)}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) return reportConfigError(err, io);
    const { code, message } = describeError(err);
    io.stderr.write(`chainwatch ${cmd.name}: ${code}: ${message}\n`);
    return err instanceof ChainwatchError ? EXIT.failure : EXIT.failure;
  }
}

function findCommand(argv: string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(' ').length)) best = c;
  }
  return best;
}

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `chainwatch — software-supply-chain monitoring daemon

Usage: chainwatch <command> [options]   (chainwatch <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
`;
}

function commandHelp(cmd: Command): string {
  return `${cmd.summary}\n\nUsage: ${cmd.usage}\n`;
}
