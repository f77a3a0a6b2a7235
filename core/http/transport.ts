import { HttpError } from '../errors.js';

/**
 * What HttpClient asks of a transport: send one request (redirects followed or not, per the
 * policy), return the status line and headers, and read the body under a cap. Two exist: the
 * default on node:http (node-transport.ts) and one over a `fetch` function (test doubles that
 * script a Response). Errors are thrown raw; the client classifies them, asking `timedOut()`
 * whether its own per-request timeout fired.
 */
export interface SendInit {
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
  /** From the request until the last body byte. */
  timeoutMs?: number | undefined;
  redirect: 'follow' | 'manual';
}

export interface Wire {
  status: number;
  /** Built on first use: most 2xx callers never look. */
  readonly headers: Headers;
  /**
   * `cap`: the whole body, HTTP_BODY_TOO_LARGE beyond `max` (declared or streamed).
   * `head`: at most the first `max` bytes, the rest discarded.
   */
  read(max: number, mode: 'cap' | 'head', peer: string): Promise<Buffer>;
}

export interface Sent {
  response: Promise<Wire>;
  /** Whether the per-request timeout (init.timeoutMs) fired. */
  timedOut(): boolean;
}

export type Transport = (url: string, init: SendInit) => Sent;

export function tooLarge(peer: string, status: number, max: number, declared?: number): HttpError {
  return new HttpError(
    'HTTP_BODY_TOO_LARGE',
    declared !== undefined ? `${peer}: response of ${declared} bytes is larger than ${max}` : `${peer}: response larger than ${max} bytes`,
    { status },
  );
}

/** A transport over a fetch function (the test double of HttpClientOptions.fetch). */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return (url, init) => {
    const timeout = init.timeoutMs !== undefined ? AbortSignal.timeout(init.timeoutMs) : undefined;
    const signals = [init.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const response = fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(signal ? { signal } : {}),
      redirect: init.redirect,
    }).then((res): Wire => ({
      status: res.status,
      headers: res.headers,
      read: (max, mode, peer) => (mode === 'cap' ? readCapped(res, max, peer) : readHead(res, max)),
    }));
    return { response, timedOut: () => timeout?.aborted === true };
  };
}

async function readCapped(res: Response, max: number, peer: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(peer, res.status, max, declared);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      throw tooLarge(peer, res.status, max);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

async function readHead(res: Response, max: number): Promise<Buffer> {
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      chunks.push(Buffer.from(value));
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max);
}
