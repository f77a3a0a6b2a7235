import type { CapabilityModule, ComponentSpec, HttpRoute, ModuleFacts, ModuleHost } from '../core/index.js';
import { type Config, sectionOf } from './config/schema.js';

/**
 * From a validated config to what should run: every module's facts first (so a module can use
 * another's, e.g. the audit record link in alerts), then its components and HTTP routes. Pure:
 * the daemon calls it at start and on every config reload and hands the result to the supervisor
 * (reconcile) and the router (setRoutes).
 */
export interface Plan {
  components: ComponentSpec[];
  routes: HttpRoute[];
  facts: ModuleFacts;
}

export function plan(config: Config, modules: readonly CapabilityModule[]): Plan {
  const base = { dataDir: config.dataDir, instance: config.instance, publicUrl: config.http.publicUrl };
  const facts: ModuleFacts = {};
  for (const m of modules) Object.assign(facts, m.provides?.(sectionOf(config, m), base));
  const host: ModuleHost = { ...base, facts };
  return {
    components: modules.flatMap((m) => m.components?.(sectionOf(config, m), host) ?? []),
    routes: modules.flatMap((m) => m.routes?.(sectionOf(config, m), host) ?? []),
    facts,
  };
}
