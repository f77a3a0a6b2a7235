// The one HTTP client (timeouts, size caps, classification, Retry-After, rate limit) and its parts.
export { ERROR_BODY_BYTES, HttpClient, type HttpClientOptions, type HttpMethod, type HttpRequest, type HttpResponse, type RedirectPolicy } from './client.js';
export { httpStatusError } from './status.js';
export { safeUrl } from './safe-url.js';
export { TokenBucket } from './token-bucket.js';
