/**
 * A URL as it may appear in messages, events and state keys: origin and path, without
 * credentials, query or fragment. Only for URLs whose path is not itself a credential (a log's
 * base URL); sink URLs often are (webhooks), so HTTP clients name peers, not URLs.
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(bad url)';
  }
}
