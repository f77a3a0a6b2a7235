import { registerAuditRoutes } from './audit.js';
import type { Daemon } from './daemon.js';

/** Extra HTTP routes contributed by capabilities (audit record links, webhook receivers). */
export function registerRoutes(daemon: Daemon): void {
  registerAuditRoutes(daemon.http, daemon.config);
}
