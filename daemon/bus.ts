import type { Bus, BusModule, Logger, Metrics } from '../core/index.js';
import type { Config } from './config/schema.js';
import { busModules } from './registry.js';

/** The configured bus (`bus.kind`), built by its adapter's module; used by the daemon and by CLI commands. */
export async function createBus(config: Config, logger: Logger, metrics: Metrics, buses: readonly BusModule[] = busModules): Promise<Bus> {
  const m = buses.find((b) => b.kind === config.bus.kind);
  if (!m) throw new Error(`no bus adapter for kind ${config.bus.kind}`); // the config schema refuses this first
  return m.create(config.bus[config.bus.kind], { dataDir: config.dataDir, instance: config.instance, logger, metrics });
}
