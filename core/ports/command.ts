import { ChainwatchError } from '../errors.js';
import type { Bus } from './bus.js';
import type { ClosableStateStore } from './state.js';
import type { KeyProvider } from './signer.js';

/**
 * The one CLI contract. Every `chainwatch` command, whether the daemon's own (`run`, `events
 * publish`) or contributed by a capability module (`audit verify`, `sinks dead-letters list`), is
 * a CommandSpec: one parser (node:util parseArgs, strict), one usage error, help generated from
 * the same definition, `--json` on every command that prints data, and these exit codes:
 *
 *   0  ok                      (verified, published, listed)
 *   1  a check failed          (verification failed, some input refused, not found)
 *   2  usage or config error   (unknown option, bad value, invalid config)
 *   3  aborted                 (infrastructure failed mid-way: a full disk, a bus gone; part of
 *                               the work may be done, and the command says how much)
 *
 * Commands that need the daemon's configuration set `config: true`: the dispatcher then adds
 * `--config FILE` and `--data-dir DIR`, loads and validates the whole config (file, CHAINWATCH_*
 * variables, flags) with the loader `run` uses, and hands the command its module's parsed section.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, aborted: 3 } as const;

/** A bad command line (unknown option, missing argument, malformed value): exit 2 with the command's help. */
export class UsageError extends ChainwatchError<'CLI_USAGE'> {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help; for string options, e.g. "FILE" or "N". */
  placeholder?: string;
  description: string;
}

export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  /** Takes every remaining positional (last argument only). */
  variadic?: boolean;
}

export interface CommandIo {
  /** Writes a line (a newline is added when missing) to stdout / stderr. */
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** What the dispatcher knows about the daemon when a command asked for the config. */
export interface DaemonFacts {
  dataDir: string;
  instance: string;
  /** The config file given with --config, if any. */
  configFile: string | undefined;
}

export interface Invocation<C = unknown> {
  /** Positional arguments after the command words. */
  args: readonly string[];
  options: Readonly<Record<string, string | boolean | string[] | undefined>>;
  /** `--json` was given: print one JSON document (or JSON lines for streams) instead of text. */
  json: boolean;
  io: CommandIo;
  /** The module's parsed config section (commands with `config: true`; undefined otherwise). */
  section: C;
  /** Present for commands with `config: true`. */
  daemon: DaemonFacts | undefined;
  /** Opens (and starts) the configured bus; the command stops it. Commands with `config: true`. */
  openBus: () => Promise<Bus>;
  /**
   * The daemon's state store (durable cursors) for a bus `openBus` returned: the embedded bus's own,
   * else <dataDir>/state.db. The command closes it before stopping the bus. Commands with `config: true`.
   */
  openState: (bus: Bus) => ClosableStateStore;
  /** Opens chainwatch's own signing keys (the audit checkpoint key). Commands with `config: true`. */
  keys: KeyProvider;
  now: () => Date;
}

export interface CommandSpec<C = unknown> {
  /** The words after `chainwatch`, e.g. "audit verify". Longest match wins. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** More help, shown under the usage (exit codes specific to the command, examples). */
  description?: string;
  args?: readonly ArgSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Prints data: the dispatcher adds `--json`. */
  json?: boolean;
  /** Needs the daemon's config: the dispatcher adds --config/--data-dir and loads it. */
  config?: boolean;
  run(inv: Invocation<C>): Promise<number>;
}
