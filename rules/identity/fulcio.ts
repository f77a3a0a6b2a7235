/**
 * Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md),
 * arc 1.3.6.1.4.1.57264.1. Names are the kebab-case keys rekor-monitor accepts under
 * `fulcioExtensions`, so a rekor-monitor config's matchers carry over unchanged.
 * .1 to .6 are the deprecated raw-string extensions; .8 onwards are DER UTF8String.
 */
export const FULCIO_OID_ARC = '1.3.6.1.4.1.57264.1';

export const FULCIO_EXTENSIONS = {
  issuer: `${FULCIO_OID_ARC}.1`,
  'github-workflow-trigger': `${FULCIO_OID_ARC}.2`,
  'github-workflow-sha': `${FULCIO_OID_ARC}.3`,
  'github-workflow-name': `${FULCIO_OID_ARC}.4`,
  'github-workflow-repository': `${FULCIO_OID_ARC}.5`,
  'github-workflow-ref': `${FULCIO_OID_ARC}.6`,
  'issuer-v2': `${FULCIO_OID_ARC}.8`,
  'build-signer-uri': `${FULCIO_OID_ARC}.9`,
  'build-signer-digest': `${FULCIO_OID_ARC}.10`,
  'runner-environment': `${FULCIO_OID_ARC}.11`,
  'source-repository-uri': `${FULCIO_OID_ARC}.12`,
  'source-repository-digest': `${FULCIO_OID_ARC}.13`,
  'source-repository-ref': `${FULCIO_OID_ARC}.14`,
  'source-repository-identifier': `${FULCIO_OID_ARC}.15`,
  'source-repository-owner-uri': `${FULCIO_OID_ARC}.16`,
  'source-repository-owner-identifier': `${FULCIO_OID_ARC}.17`,
  'build-config-uri': `${FULCIO_OID_ARC}.18`,
  'build-config-digest': `${FULCIO_OID_ARC}.19`,
  'build-trigger': `${FULCIO_OID_ARC}.20`,
  'run-invocation-uri': `${FULCIO_OID_ARC}.21`,
  'source-repository-visibility-at-signing': `${FULCIO_OID_ARC}.22`,
  'deployment-environment': `${FULCIO_OID_ARC}.23`,
} as const;

export type FulcioExtensionName = keyof typeof FULCIO_EXTENSIONS;
export const FULCIO_EXTENSION_NAMES = Object.keys(FULCIO_EXTENSIONS) as FulcioExtensionName[];

export const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** An extension key in a policy: a known name, or a dotted OID. Undefined when neither. */
export function resolveExtensionKey(key: string): string | undefined {
  // Own keys only: `in` would also accept Object.prototype names such as "constructor".
  if (Object.hasOwn(FULCIO_EXTENSIONS, key)) return FULCIO_EXTENSIONS[key as FulcioExtensionName];
  return OID_PATTERN.test(key) ? key : undefined;
}
