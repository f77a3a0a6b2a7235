import type { Bus } from '../../../core/index.js';
import { silentLogger, topicFor, EVENT_FAMILIES, type EventFamily } from '../../../core/index.js';
import { loadConfig } from '../../config/load.js';
import { createBus } from '../../daemon.js';
import { PromMetrics } from '../../metrics.js';

/** The bus the daemon would use, from the same config/env/flags as `run`. */
export async function openConfiguredBus(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Bus> {
  const { config } = loadConfig({ file: values.config as string | undefined, env, flags: { dataDir: values['data-dir'] } });
  const bus = await createBus(config, silentLogger, new PromMetrics(false));
  await bus.start();
  return bus;
}

/** Accepts a full topic name ("chainwatch.rekor", "chainwatch.rekor.dlq") or a family ("rekor"). */
export function resolveTopic(name: string): string {
  return (EVENT_FAMILIES as readonly string[]).includes(name) ? topicFor(name as EventFamily) : name;
}

export const busOptions = { config: { type: 'string' as const, short: 'c' }, 'data-dir': { type: 'string' as const } };
