import { type CapabilityModule, type CommandIo, type CommandSpec, EXIT, runCommand, silentLogger } from '../../core/index.js';
import { createKeyProvider } from '../../keys/index.js';
import { stateStoreFor } from '../../stores/sqlite/index.js';
import { createBus } from '../bus.js';
import { loadConfig } from '../config/load.js';
import { buildConfigSchema, configSchema, sectionOf } from '../config/schema.js';
import { PromMetrics } from '../metrics.js';
import { busModules, capabilityModules } from '../registry.js';
import { configCheckCommand, configSchemaCommand } from './commands/config.js';
import { eventsPublishCommand, eventsTailCommand } from './commands/events.js';
import { runDaemonCommand } from './commands/run.js';
import { versionCommand } from './commands/version.js';
import { waitReadyCommand } from './commands/wait-ready.js';

/**
 * `chainwatch` entry point: the daemon's own commands plus every command the registry's modules
 * contribute, all under one contract (core/ports/command.ts). A command is found by its longest
 * matching word prefix ("audit verify" before "audit"); a group word alone ("audit") lists its
 * commands. Exit codes: 0 ok, 1 a check failed, 2 usage or config error.
 */
export interface ProcessIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

interface Entry {
  spec: CommandSpec;
  module: CapabilityModule | undefined;
}

const DAEMON_COMMANDS: readonly CommandSpec[] = [
  runDaemonCommand,
  configCheckCommand,
  configSchemaCommand,
  eventsPublishCommand,
  eventsTailCommand,
  versionCommand,
  waitReadyCommand,
];

export function commandTable(modules: readonly CapabilityModule[] = capabilityModules): Entry[] {
  const entries: Entry[] = [
    ...DAEMON_COMMANDS.map((spec) => ({ spec, module: undefined })),
    ...modules.flatMap((module) => (module.commands ?? []).map((spec) => ({ spec: spec, module }))),
  ];
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.spec.name)) throw new Error(`two commands are named "${e.spec.name}"`);
    names.add(e.spec.name);
  }
  return entries;
}

export async function main(argv: string[], pio: ProcessIo, modules: readonly CapabilityModule[] = capabilityModules): Promise<number> {
  const io: CommandIo = {
    out: (l) => void pio.stdout.write(l.endsWith('\n') ? l : `${l}\n`),
    err: (l) => void pio.stderr.write(l.endsWith('\n') ? l : `${l}\n`),
    stdin: pio.stdin,
    env: pio.env,
  };
  const table = commandTable(modules);
  const entry = longestMatch(table, argv);
  if (!entry) {
    const help = argv.length === 0 || ['--help', '-h', 'help'].includes(argv[0]!);
    const group = groupOf(table, argv);
    if (!help && group) {
      // "chainwatch sinks dead-letters": the group's commands (exit 0 when asked with --help).
      const asked = argv.length > group.words.length;
      (asked ? io.out : io.err)(listing(group.entries, `chainwatch ${group.words.join(' ')} <command> [options]`));
      return asked ? EXIT.ok : EXIT.usage;
    }
    if (help || argv.length === 0) {
      (help ? io.out : io.err)(listing(table, 'chainwatch <command> [options]'));
      return help ? EXIT.ok : EXIT.usage;
    }
    io.err(`chainwatch: unknown command '${argv.slice(0, 2).join(' ')}'\n\n${listing(table, 'chainwatch <command> [options]')}`);
    return EXIT.usage;
  }
  const { spec, module } = entry;
  const schema = modules === capabilityModules ? configSchema : buildConfigSchema(modules, busModules);
  return runCommand(spec, argv.slice(spec.name.split(' ').length), {
    io,
    load: async (options) => {
      const { config } = loadConfig({ file: options.config as string | undefined, env: pio.env, flags: { dataDir: options['data-dir'] }, schema });
      return {
        section: module ? sectionOf(config, module) : config,
        daemon: { dataDir: config.dataDir, instance: config.instance, configFile: options.config as string | undefined },
        openBus: async () => {
          const bus = await createBus(config, silentLogger, new PromMetrics(false));
          await bus.start();
          return bus;
        },
        openState: (bus) => stateStoreFor(bus, config.dataDir),
        keys: createKeyProvider(),
      };
    },
  });
}

function longestMatch(table: Entry[], argv: string[]): Entry | undefined {
  let best: Entry | undefined;
  for (const e of table) {
    const words = e.spec.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.spec.name.split(' ').length)) best = e;
  }
  return best;
}

/** The longest run of leading words that prefixes command names, when only help flags follow it. */
function groupOf(table: Entry[], argv: string[]): { words: string[]; entries: Entry[] } | undefined {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag === -1 ? argv : argv.slice(0, firstFlag);
  for (let k = words.length; k > 0; k--) {
    const prefix = `${words.slice(0, k).join(' ')} `;
    const entries = table.filter((e) => e.spec.name.startsWith(prefix));
    if (entries.length > 0) return argv.slice(k).every((a) => a === '--help' || a === '-h') ? { words: words.slice(0, k), entries } : undefined;
  }
  return undefined;
}

function listing(entries: Entry[], usage: string): string {
  const width = Math.max(...entries.map((e) => e.spec.name.length));
  return `chainwatch — software-supply-chain monitoring daemon

Usage: ${usage}   (chainwatch <command> --help for details)

Commands:
${entries.map((e) => `  ${e.spec.name.padEnd(width)}  ${e.spec.summary}`).join('\n')}

Exit codes: 0 ok, 1 check failed, 2 usage or config error.`;
}
