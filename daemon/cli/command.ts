import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ChainwatchError, ConfigError } from '../../core/index.js';

/** Exit codes: 0 ok, 1 failure (verification failed, some input rejected), 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** Words after `chainwatch`, e.g. "events publish". */
  name: string;
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Receives argv after the command words, already parsed unless `rawArgs` is set. */
  run(args: { values: Record<string, unknown>; positionals: string[]; argv: string[] }, io: Io): Promise<number>;
  /** Hand argv untouched to run() (commands with their own parser, e.g. verify-bundle). */
  rawArgs?: boolean;
}

export class UsageError extends ChainwatchError<'CLI_USAGE'> {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

export function parse(cmd: Command, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Prints a ConfigError the way `config check` and `run` do: one line per bad key. */
export function reportConfigError(err: ConfigError, io: Io): number {
  io.stderr.write(`chainwatch: ${err.code}: configuration is not valid\n`);
  for (const i of err.issues) io.stderr.write(`  ${i.path}: ${i.message}\n`);
  if (err.issues.length === 0) io.stderr.write(`  ${err.message}\n`);
  return EXIT.usage;
}
