import type { z } from 'zod';
import type { CommandSpec } from './command.js';
import type { Component, ComponentContext } from './component.js';
import type { HttpRoute } from './http-route.js';
import type { KeyProvider } from './signer.js';

/**
 * A capability module: everything the daemon needs to know about one collector, detector or sink
 * (or a command-only capability such as trust's `verify-bundle`), in one descriptor that lives in
 * the capability's own folder (`<folder>/module.ts`). The daemon keeps a single list of them
 * (daemon/registry.ts) and derives from it the config schema, the running components, the HTTP
 * routes and the CLI commands. Adding a capability = its folder + one import and one list entry in daemon/registry.ts.
 *
 *   config file ──parse once (full key paths in errors)──> section ──┬─ components() ─> supervisor (reconcile)
 *                                                                    ├─ routes()     ─> router
 *                                                                    └─ commands     ─> CLI dispatcher
 */
export type ComponentKind = 'collector' | 'detector' | 'sink';

/**
 * One component the module wants running. The supervisor reconciles by `name`: a new name is
 * started, a vanished one stopped, and one whose `fingerprint` changed (its config changed) is
 * stopped and built again; unchanged ones keep running through a config reload.
 */
export interface ComponentSpec {
  name: string;
  kind: ComponentKind;
  fingerprint: string;
  /** Builds a fresh instance (again after every crash). */
  create(ctx: ComponentContext): Component;
}

/**
 * Facts one module publishes for others at plan time (never runtime coupling: components still
 * meet only through events). Keys are declared here so that a producer and its consumers agree.
 */
export interface ModuleFacts {
  /** Link template to an audit record; `{findingId}` is replaced (sinks.audit -> sinks.alerts). */
  auditRecordUrl?: string;
}

/** What a module sees of the daemon when it plans components and routes. */
export interface ModuleHost {
  dataDir: string;
  instance: string;
  /** `http.publicUrl`: where this daemon is reachable from outside, if configured. */
  publicUrl: string | undefined;
  /** `http.tls.cert`: the file of the daemon's own HTTPS serving certificate, when it has one (cert-expiry watches it). */
  servingCertificate?: string | undefined;
  facts: Readonly<ModuleFacts>;
}

/** What preflight checks and warnings see: the plan-time host plus the daemon's key provider. */
export interface ModuleCheckHost extends Omit<ModuleHost, 'facts'> {
  keys: KeyProvider;
}

/** A valid setting that weakens what the module promises: `config check` prints it, the daemon logs it at start. */
export interface ModuleWarning {
  /** Dotted config path of the setting. */
  path: string;
  message: string;
}

/** `keys`: chainwatch's knowledge of signing keys (the key inventory), which is neither a collector, a detector nor a sink. */
export type SectionGroup = 'collectors' | 'detectors' | 'sinks' | 'keys';

export interface ModuleSection<S extends z.ZodType = z.ZodType> {
  group: SectionGroup;
  /** The key under the group: `collectors.<key>`. */
  key: string;
  /** The section's schema, with its own default or `.optional()` (an absent section means off). */
  schema: S;
}

export interface CapabilityModule<S extends z.ZodType = z.ZodType> {
  /** Unique; the section path when there is one (e.g. "collectors.rekor"), else a plain name ("trust"). */
  readonly id: string;
  readonly summary: string;
  readonly section?: ModuleSection<S>;
  components?(section: z.output<S>, host: ModuleHost): ComponentSpec[];
  routes?(section: z.output<S>, host: ModuleHost): HttpRoute[];
  provides?(section: z.output<S>, host: Omit<ModuleHost, 'facts'>): ModuleFacts;
  warnings?(section: z.output<S>, host: Omit<ModuleHost, 'facts'>): ModuleWarning[];
  /**
   * Runs before the daemon starts anything (and in `config check`). Throw a ConfigError with code
   * CONFIG_UNSAFE for a problem no restart can fix (a signing key others can read): the start is
   * refused with exit 2 and the reason, instead of a component crash-looping while the events it
   * should handle pile up behind it or age out of the bus.
   */
  preflight?(section: z.output<S>, host: ModuleCheckHost): Promise<void>;
  /**
   * Files besides the config file that components() reads (a CT log list). The daemon polls them
   * and, when one changes, plans again and reconciles, as a SIGHUP does (the config file itself is
   * not re-read). A change that does not plan (a bad file) is logged with its code and changes
   * nothing: the last good file stays in force.
   */
  watchedFiles?(section: z.output<S>): string[];
  readonly commands?: readonly CommandSpec<z.output<S>>[];
}

/** Identity function that lets TypeScript infer a module's section type from its schema. */
export function defineModule<S extends z.ZodType>(m: CapabilityModule<S>): CapabilityModule<S> {
  return m;
}
