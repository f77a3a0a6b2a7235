import type { CapabilityModule, ComponentSpec, HttpRoute, KeyProvider, ModuleFacts, ModuleHost, ModuleWarning } from '../core/index.js';
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
  const base = { dataDir: config.dataDir, instance: config.instance, publicUrl: config.http.publicUrl, servingCertificate: config.http.tls?.cert };
  const facts: ModuleFacts = {};
  for (const m of modules) Object.assign(facts, m.provides?.(sectionOf(config, m), base));
  const host: ModuleHost = { ...base, facts };
  return {
    components: modules.flatMap((m) => m.components?.(sectionOf(config, m), host) ?? []),
    routes: modules.flatMap((m) => m.routes?.(sectionOf(config, m), host) ?? []),
    facts,
  };
}

/** The files the modules plan from besides the config (module.watchedFiles), for the daemon to watch. */
export function watchedFiles(config: Config, modules: readonly CapabilityModule[]): string[] {
  return [...new Set(modules.flatMap((m) => m.watchedFiles?.(sectionOf(config, m)) ?? []))];
}

/** What the modules say weakens their promises under this config (printed by `config check`, logged at start). */
export function moduleWarnings(config: Config, modules: readonly CapabilityModule[]): ModuleWarning[] {
  const base = { dataDir: config.dataDir, instance: config.instance, publicUrl: config.http.publicUrl };
  return modules.flatMap((m) => m.warnings?.(sectionOf(config, m), base) ?? []);
}

/** Every module's preflight check, in registry order; the first refusal wins (a ConfigError CONFIG_UNSAFE). */
export async function preflight(config: Config, modules: readonly CapabilityModule[], keys: KeyProvider): Promise<void> {
  const host = { dataDir: config.dataDir, instance: config.instance, publicUrl: config.http.publicUrl, keys };
  for (const m of modules) await m.preflight?.(sectionOf(config, m), host);
}
