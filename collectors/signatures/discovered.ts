/** What discovery hands to verification: trust/oci's contract (one manifest with its layers' bytes). */
export type { DiscoveredArtifact, DiscoveredLayer } from '../../trust/index.js';
import type { DiscoveredArtifact } from '../../trust/index.js';
export type DiscoveredKind = DiscoveredArtifact['kind'];
