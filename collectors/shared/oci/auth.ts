import type { Secret } from '../../../core/index.js';

/** Basic credentials for a registry (the password is a Secret: it never reaches logs or errors). */
export interface RegistryCredentials {
  username: string;
  password: Secret;
}

/** One WWW-Authenticate challenge: its scheme and parameters (realm, service, scope, error). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header of a registry (RFC 7235 auth-params, as the distribution token
 * spec uses them): `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`.
 * Several challenges in one header are split at a scheme name that follows a comma. Unknown or
 * malformed input yields what could be read; the caller decides what it can use.
 */
export function parseChallenges(header: string | null | undefined): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const text = header ?? '';
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < text.length && chars.test(text[i]!)) i++;
  };
  // A token followed by '=' is a parameter of the current challenge; any other token opens a new one.
  while (i < text.length) {
    skip(/[\s,]/);
    const token = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(text.slice(i))?.[0];
    if (!token) break;
    i += token.length;
    skip(/\s/);
    if (text[i] !== '=') {
      out.push({ scheme: token, params: {} });
      continue;
    }
    i++;
    skip(/\s/);
    let value = '';
    if (text[i] === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
      i++;
    } else {
      const v = /^[^,\s]*/.exec(text.slice(i))![0];
      value = v;
      i += v.length;
    }
    const current = out.at(-1);
    if (current) current.params[token.toLowerCase()] = value;
  }
  return out;
}

export function basicAuthorization(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password.reveal()}`).toString('base64')}`;
}
