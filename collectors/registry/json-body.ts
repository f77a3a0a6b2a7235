import { RegistryError } from './errors.js';

/** Deeper than any registry payload we accept (GitHub's is about 6 levels); refused before parsing. */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses a webhook body as JSON after a linear scan of its nesting depth, so a hostile
 * `[[[[...` of a megabyte is refused without building it (and without recursion anywhere).
 */
export function parseJsonBody(body: Buffer | undefined, maxDepth = MAX_JSON_DEPTH): unknown {
  if (!body || body.length === 0) throw new RegistryError('REGISTRY_BODY_MALFORMED', 'empty body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (err) {
    throw new RegistryError('REGISTRY_BODY_MALFORMED', 'body is not UTF-8', { cause: err });
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new RegistryError('REGISTRY_BODY_TOO_DEEP', `JSON nested deeper than ${maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RegistryError('REGISTRY_BODY_MALFORMED', 'body is not JSON', { cause: err });
  }
}
