import { PassThrough } from 'node:stream';
import { type Bus, type ClosableStateStore, type CommandSpec, type KeyProvider, runCommand } from '../index.js';
import { MemoryKeyProvider } from './memory-keys.js';
import { MemoryStateStore } from './memory-state.js';

export interface CommandResult {
  code: number;
  /** Everything written to stdout / stderr, lines joined with \n. */
  out: string;
  err: string;
}

/**
 * Runs a module's command the way the CLI dispatcher does (same parser, same exit-code mapping),
 * with captured output and, for `config: true` commands, the given section and data dir instead
 * of a loaded config file.
 */
export async function invokeCommand<C>(
  spec: CommandSpec<C>,
  argv: readonly string[],
  opts: {
    section?: C;
    dataDir?: string;
    instance?: string;
    stdin?: string;
    env?: NodeJS.ProcessEnv;
    bus?: Bus;
    state?: ClosableStateStore;
    keys?: KeyProvider;
    now?: () => Date;
  } = {},
): Promise<CommandResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  const code = await runCommand(spec, argv, {
    io: { out: (l) => void out.push(l), err: (l) => void err.push(l), stdin, env: opts.env ?? {} },
    load: async (options) => ({
      section: opts.section as C,
      daemon: {
        dataDir: (options['data-dir'] as string | undefined) ?? opts.dataDir ?? '.data',
        instance: opts.instance ?? 'chainwatch',
        configFile: undefined,
      },
      openBus: async () => {
        if (!opts.bus) throw new Error('no bus given to invokeCommand');
        return opts.bus;
      },
      openState: () => opts.state ?? new MemoryStateStore(),
      keys: opts.keys ?? new MemoryKeyProvider(),
    }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
