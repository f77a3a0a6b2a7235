import type { Bus, BusModule, Logger, Metrics, StorageMonitor } from '../core/index.js';
import type { Config } from './config/schema.js';
import { busModules } from './registry.js';

/** The configured bus (`bus.kind`), built by its adapter's module; used by the daemon and by CLI commands. */
export async function createBus(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  buses: readonly BusModule[] = busModules,
  storage?: StorageMonitor,
): Promise<Bus> {
  const m = buses.find((b) => b.kind === config.bus.kind);
  if (!m) throw new Error(`no bus adapter for kind ${config.bus.kind}`); // the config schema refuses this first
  return m.create(config.bus[config.bus.kind], {
    dataDir: config.dataDir,
    instance: config.instance,
    logger,
    metrics,
    retainFor: auditGroups(config),
    ...(storage ? { storage } : {}),
  });
}

/**
 * The audit sink's consumer group when it is configured: bus retention must wait for it, so an
 * audit sink that cannot start (a bad key) holds records back instead of losing them unaudited.
 * Follow-up: this belongs in a module fact (`provides`) of sinks/audit rather than here.
 */
export function auditGroups(config: Config): string[] {
  const audit = config.sinks.audit as { enabled?: boolean; group?: string } | undefined;
  return audit && audit.enabled !== false && typeof audit.group === 'string' ? [audit.group] : [];
}
