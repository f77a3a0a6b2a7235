// The OCI distribution client (manifests, blobs, tags, referrers with the tag-schema fallback, token auth).
export { basicAuthorization, parseChallenges, type AuthChallenge, type RegistryCredentials } from './auth.js';
export { OciClient, type FetchedManifest, type OciClientOptions, type ReferrersResult } from './client.js';
export { OciError, type OciErrorCode } from './errors.js';
export { DIGEST_PATTERN, digestTag, MANIFEST_ACCEPT, MEDIA, type Descriptor, type Manifest } from './media-types.js';
export { OciTagCache, type TagCacheOptions, type TagResolution } from './tag-cache.js';
