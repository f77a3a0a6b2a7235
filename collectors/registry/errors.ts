import { ChainwatchError } from '../../core/index.js';

/**
 * Errors of collectors/registry's webhook intake (the poller's registry errors are collectors/shared/oci's OciError):
 *   REGISTRY_BODY_MALFORMED   a body that is not JSON (or not UTF-8)                  -> 400
 *   REGISTRY_BODY_TOO_DEEP    JSON nested deeper than we ever need (refused unparsed) -> 400
 *   REGISTRY_PAYLOAD_INVALID  JSON of the wrong shape for the source (bad digest too) -> 400
 *   REGISTRY_REPLAYED         a delivery whose timestamp lies outside the replay window -> 409
 *   REGISTRY_NOT_READY        the intake component is not running (yet): senders retry -> 503
 *   REGISTRY_PUBLISH_FAILED   the bus did not make the events durable: senders retry  -> 503
 */
export type RegistryErrorCode =
  'REGISTRY_BODY_MALFORMED' | 'REGISTRY_BODY_TOO_DEEP' | 'REGISTRY_PAYLOAD_INVALID' | 'REGISTRY_REPLAYED' | 'REGISTRY_NOT_READY' | 'REGISTRY_PUBLISH_FAILED';

export class RegistryError extends ChainwatchError<RegistryErrorCode> {}

/** The HTTP status each code is answered with. */
export function statusOf(code: RegistryErrorCode): number {
  switch (code) {
    case 'REGISTRY_BODY_MALFORMED':
    case 'REGISTRY_BODY_TOO_DEEP':
    case 'REGISTRY_PAYLOAD_INVALID':
      return 400;
    case 'REGISTRY_REPLAYED':
      return 409;
    case 'REGISTRY_NOT_READY':
    case 'REGISTRY_PUBLISH_FAILED':
      return 503;
  }
}
