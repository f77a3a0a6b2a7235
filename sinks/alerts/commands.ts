import { join } from 'node:path';
import { type CommandSpec, EXIT, UsageError } from '../../core/index.js';
import type { AlertPipelineConfig } from './config.js';
import { listDeadLetters, replayDeadLetters } from './dead-letters.js';

/**
 * `chainwatch sinks dead-letters list|replay`: notifications a receiver refused for good or that
 * ran out of attempts. Safe while the daemon runs; a replayed notification goes back to its
 * receiver's outbox with the same id (receivers dedup on it) and the daemon delivers it.
 */
type Section = (AlertPipelineConfig & { enabled: boolean }) | undefined;

const fileOption = {
  file: { type: 'string', placeholder: 'NAME', description: 'pipeline database under the data dir (default: sinks.alerts.file, else alerts.sqlite)' },
  sink: { type: 'string', placeholder: 'NAME', description: 'only this receiver' },
} as const;

function database(inv: { options: Readonly<Record<string, unknown>>; section: Section; daemon: { dataDir: string } | undefined }): string {
  const file = (inv.options.file as string | undefined) ?? inv.section?.file ?? 'alerts.sqlite';
  if (!/^[A-Za-z0-9_.-]+$/.test(file)) throw new UsageError('--file is a file name under the data dir');
  return join(inv.daemon!.dataDir, file);
}

const list: CommandSpec<Section> = {
  name: 'sinks dead-letters list',
  summary: 'List notifications a receiver could not deliver',
  options: fileOption,
  json: true,
  config: true,
  async run(inv) {
    const sink = inv.options.sink as string | undefined;
    const rows = listDeadLetters(database(inv), sink ? { sink } : {});
    if (inv.json) inv.io.out(JSON.stringify(rows, null, 2));
    else {
      for (const r of rows) inv.io.out(`${r.id}\t${r.sink}\t${r.route}\t${r.action}\t${r.code}\tattempts=${r.attempts}\tdead=${r.deadAt}\t${r.dedupKey}`);
      inv.io.err(`${rows.length} dead letter(s)`);
    }
    return EXIT.ok;
  },
};

const replay: CommandSpec<Section> = {
  name: 'sinks dead-letters replay',
  summary: "Move dead letters back to their receivers' outboxes (a running daemon delivers them)",
  args: [{ name: 'ID', description: 'dead letters to replay (or --all)', optional: true, variadic: true }],
  options: { ...fileOption, all: { type: 'boolean', description: 'every dead letter (of --sink, when given)' } },
  json: true,
  config: true,
  async run(inv) {
    const all = inv.options.all === true;
    if (all && inv.args.length > 0) throw new UsageError('give dead-letter IDs or --all, not both');
    if (!all && inv.args.length === 0) throw new UsageError('give the dead-letter IDs to replay, or --all');
    const sink = inv.options.sink as string | undefined;
    const n = replayDeadLetters(database(inv), { ids: inv.args, all, ...(sink ? { sink } : {}) });
    if (inv.json) inv.io.out(JSON.stringify({ replayed: n }));
    inv.io.err(`replayed ${n} dead letter(s) into their outboxes`);
    return EXIT.ok;
  },
};

export const deadLetterCommands: readonly CommandSpec<Section>[] = [list, replay];
