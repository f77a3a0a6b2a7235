/**
 * PKCS#11 URIs (RFC 7512), the subset that names one private key on one token:
 *
 *   pkcs11:token=<label>;object=<label>[;id=<%xx bytes>][;type=private][;serial=<serial>][?module-path=<path>]
 *
 * `token` is required (tokens are found by label, never by slot number: slot numbers change when
 * tokens are added); `object` (CKA_LABEL) or `id` (CKA_ID), or both, select the key. Values are
 * percent-decoded. PINs are not taken from the URI (`pin-value`, `pin-source` are refused): the
 * config's `pin` is a secret, resolved from a file or the environment and never logged.
 * Attributes outside the subset are refused rather than ignored: RFC 7512 forbids a consumer to
 * silently widen what a URI matches.
 */
export interface Pkcs11Uri {
  token: string;
  object?: string;
  id?: Buffer;
  serial?: string;
  modulePath?: string;
}

const PATH_ATTRS = new Set(['token', 'object', 'id', 'type', 'serial']);
const QUERY_ATTRS = new Set(['module-path']);

/** Returns the parsed URI, or a message saying what is wrong with it (for config validation). */
export function parsePkcs11Uri(uri: string): Pkcs11Uri | string {
  if (!uri.startsWith('pkcs11:')) return 'a PKCS#11 URI starts with "pkcs11:"';
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const attrs = new Map<string, Buffer>();
  const take = (part: string, allowed: Set<string>, where: string): string | undefined => {
    if (part === '') return undefined;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!allowed.has(name)) return `unsupported ${where} attribute "${name}" (supported: ${[...allowed].join(', ')})`;
    if (attrs.has(name)) return `attribute "${name}" given twice`;
    const value = pctDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (value === undefined) return `attribute "${name}" has a bad percent-encoding`;
    attrs.set(name, value);
    return undefined;
  };
  for (const part of path.split(';')) {
    const err = take(part, PATH_ATTRS, 'path');
    if (err) return err;
  }
  for (const part of query.split('&')) {
    if (/^pin-(value|source)=/.test(part)) return 'the PIN is not read from the URI: give it as `pin` (a secret: { env } or { file })';
    const err = take(part, QUERY_ATTRS, 'query');
    if (err) return err;
  }
  const token = attrs.get('token')?.toString('utf8');
  if (!token) return 'the URI must name the token: token=<label>';
  const type = attrs.get('type')?.toString('utf8');
  if (type !== undefined && type !== 'private') return 'type must be "private" (the key that signs)';
  const object = attrs.get('object')?.toString('utf8');
  const id = attrs.get('id');
  if (!object && !id?.length) return 'the URI must name the key: object=<label> or id=<%xx bytes>';
  const serial = attrs.get('serial')?.toString('utf8');
  const modulePath = attrs.get('module-path')?.toString('utf8');
  return {
    token,
    ...(object ? { object } : {}),
    ...(id?.length ? { id } : {}),
    ...(serial ? { serial } : {}),
    ...(modulePath ? { modulePath } : {}),
  };
}

function pctDecode(s: string): Buffer | undefined {
  const [head, ...escaped] = s.split('%');
  const out: Buffer[] = [Buffer.from(head!, 'utf8')];
  for (const part of escaped) {
    if (!/^[0-9A-Fa-f]{2}/.test(part)) return undefined;
    out.push(Buffer.from([parseInt(part.slice(0, 2), 16)]), Buffer.from(part.slice(2), 'utf8'));
  }
  return Buffer.concat(out);
}
