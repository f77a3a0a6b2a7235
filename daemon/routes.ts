import type { Daemon } from './daemon.js';

/** Extra HTTP routes contributed by components (audit record links, webhook receivers). */
export function registerRoutes(_daemon: Daemon): void {
  // Filled as capabilities land (audit records: /audit/records/<id>).
}
