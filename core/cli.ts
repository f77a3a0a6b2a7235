import { parseArgs } from 'node:util';
import { ConfigError, describeError, KeyError } from './errors.js';
import type { Bus } from './ports/bus.js';
import type { KeyProvider } from './ports/signer.js';
import type { ClosableStateStore } from './ports/state.js';
import { type CommandIo, type CommandSpec, type DaemonFacts, EXIT, type OptionSpec, UsageError } from './ports/command.js';

/**
 * The parsing and help half of the CLI contract (core/ports/command.ts), shared by the daemon's
 * dispatcher and by tests of module commands: one parser (node:util parseArgs, strict), help
 * generated from the same definition the parser uses.
 */

/** Options the dispatcher adds: `--help` always, `--json` for data commands, config flags for config commands. */
export function optionsOf(spec: CommandSpec<never>): Record<string, OptionSpec> {
  return {
    ...spec.options,
    ...(spec.json ? { json: { type: 'boolean', description: 'print JSON instead of text' } } : {}),
    ...(spec.config
      ? {
          config: { type: 'string', short: 'c', placeholder: 'FILE', description: 'config file (CHAINWATCH_* variables override it)' },
          'data-dir': { type: 'string', placeholder: 'DIR', description: 'data directory (default: dataDir of the config, ./.data)' },
        }
      : {}),
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  };
}

export interface ParsedArgs {
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

/** Parses argv (after the command words) against the spec. Throws UsageError for anything it does not accept. */
export function parseCommandArgs(spec: CommandSpec<never>, argv: readonly string[]): ParsedArgs {
  const options = optionsOf(spec);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const args = parsed.positionals;
  if (parsed.values.help !== true) checkArity(spec, args);
  return { args, options: parsed.values as ParsedArgs['options'] };
}

function checkArity(spec: CommandSpec<never>, args: readonly string[]): void {
  const specs = spec.args ?? [];
  const required = specs.filter((a) => !a.optional).length;
  const variadic = specs.some((a) => a.variadic);
  if (args.length < required)
    throw new UsageError(
      `missing ${specs
        .slice(args.length, required)
        .map((a) => a.name)
        .join(' ')}`,
    );
  if (!variadic && args.length > specs.length) throw new UsageError(`unexpected argument ${JSON.stringify(args[specs.length])}`);
}

/** `chainwatch audit verify [--vkey FILE] ... ID` with every option and argument described. */
export function formatHelp(spec: CommandSpec<never>): string {
  const options = optionsOf(spec);
  const synopsis = [
    `chainwatch ${spec.name}`,
    ...Object.entries(options)
      .filter(([k]) => k !== 'help')
      .map(([k, o]) => `[--${k}${o.type === 'string' ? ` ${o.placeholder ?? 'VALUE'}` : ''}]${o.multiple ? '...' : ''}`),
    ...(spec.args ?? []).map((a) => `${a.optional ? '[' : ''}${a.name}${a.variadic ? '...' : ''}${a.optional ? ']' : ''}`),
  ].join(' ');
  const rows: [string, string][] = [
    ...(spec.args ?? []).map((a): [string, string] => [a.name, a.description]),
    ...Object.entries(options).map(([k, o]): [string, string] => [
      `${o.short ? `-${o.short}, ` : ''}--${k}${o.type === 'string' ? ` ${o.placeholder ?? 'VALUE'}` : ''}`,
      o.description + (o.multiple ? ' (repeatable)' : ''),
    ]),
  ];
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)));
  const lines = rows.map(([l, d]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${d}` : `  ${l.padEnd(width)}  ${d}`));
  return `${spec.summary}\n\nUsage: ${synopsis}\n\n${lines.join('\n')}\n${spec.description ? `\n${spec.description.trimEnd()}\n` : ''}\nExit codes: 0 ok, 1 check failed, 2 usage or config error.\n`;
}

/**
 * A numeric option: a positive number (an integer when `integer`), or a whole number >= 0 when
 * `zero` is allowed. Anything else ('', 'lots', '2.5' for an integer) is a UsageError, never NaN.
 */
export function numberOption(options: Readonly<Record<string, unknown>>, name: string, opts: { integer?: boolean; zero?: boolean } = {}): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !opts.zero) || (opts.integer && !Number.isInteger(n))) {
    const what = opts.zero ? 'whole number' : `positive ${opts.integer ? 'integer' : 'number'}`;
    throw new UsageError(`--${name} must be a ${what}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** What running a command needs besides argv; `load` is called only for commands with `config: true`. */
export interface CommandEnv<C> {
  io: CommandIo;
  load?: (
    options: ParsedArgs['options'],
  ) => Promise<{ section: C; daemon: DaemonFacts; openBus: () => Promise<Bus>; openState?: (bus: Bus) => ClosableStateStore; keys: KeyProvider }>;
  now?: () => Date;
}

/**
 * Parses, runs and maps every outcome onto the exit codes of the contract: a UsageError prints the
 * reason and the help (2); a ConfigError one line per bad key (2); any other error one line
 * `chainwatch <command>: <CODE>: <message>` (1). Nothing else reaches the terminal: no stacks.
 */
export async function runCommand<C>(spec: CommandSpec<C>, argv: readonly string[], env: CommandEnv<C>): Promise<number> {
  const { io } = env;
  try {
    const parsed = parseCommandArgs(spec, argv);
    if (parsed.options.help === true) {
      io.out(formatHelp(spec));
      return EXIT.ok;
    }
    const loaded = spec.config ? await env.load?.(parsed.options) : undefined;
    if (spec.config && !loaded) throw new Error(`command ${spec.name} needs the daemon config, which this environment does not provide`);
    return await spec.run({
      args: parsed.args,
      options: parsed.options,
      json: parsed.options.json === true,
      io,
      section: loaded?.section as C,
      daemon: loaded?.daemon,
      openBus: loaded?.openBus ?? (() => Promise.reject(new Error(`command ${spec.name} has no bus`))),
      openState:
        loaded?.openState ??
        (() => {
          throw new Error(`command ${spec.name} has no state store`);
        }),
      keys: loaded?.keys ?? { open: () => Promise.reject(new KeyError('KEY_NOT_FOUND', `command ${spec.name} has no key provider`)) },
      now: env.now ?? (() => new Date()),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`chainwatch ${spec.name}: ${err.message}\n\n${formatHelp(spec)}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`chainwatch: ${err.code}: configuration is not valid`);
      for (const i of err.issues) io.err(`  ${i.path}: ${i.message}`);
      if (err.issues.length === 0) io.err(`  ${err.message}`);
      return EXIT.usage;
    }
    const { code, message } = describeError(err);
    io.err(`chainwatch ${spec.name}: ${code}: ${message.replace(/\s*\n\s*/g, ' ')}`);
    return EXIT.failed;
  }
}
