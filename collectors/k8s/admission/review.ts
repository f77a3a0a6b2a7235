import { z } from 'zod';
import { ChainwatchError } from '../../../core/index.js';

/**
 * AdmissionReview admission.k8s.io/v1, the only version chainwatch speaks (the API server sends the
 * first of the webhook's admissionReviewVersions it supports: declare ["v1"]). Anything that is not
 * a v1 AdmissionReview with a request and a uid is refused with 400 and a coded error: without a
 * uid there is no well-formed answer the API server could match, so 400 is the honest reply (the API
 * server then applies the webhook's failurePolicy).
 */
export type AdmissionErrorCode = 'ADMISSION_MALFORMED_JSON' | 'ADMISSION_WRONG_VERSION' | 'ADMISSION_MALFORMED_REVIEW' | 'ADMISSION_NOT_RUNNING';
export class AdmissionError extends ChainwatchError<AdmissionErrorCode> {}

const API_VERSION = 'admission.k8s.io/v1';

const requestSchema = z.looseObject({
  uid: z.string().min(1).max(128),
  kind: z.looseObject({ group: z.string().default(''), version: z.string().default(''), kind: z.string().min(1).max(253) }),
  subResource: z.string().max(253).optional(),
  name: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: z.looseObject({ username: z.string().max(512).optional() }).optional(),
  object: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.output<typeof requestSchema>;

const reviewSchema = z.looseObject({ apiVersion: z.string(), kind: z.string(), request: requestSchema });

export function parseAdmissionReview(body: Buffer | undefined): AdmissionRequest {
  let json: unknown;
  try {
    json = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
  } catch (err) {
    throw new AdmissionError('ADMISSION_MALFORMED_JSON', 'body is not JSON', { cause: err });
  }
  const head = z.looseObject({ apiVersion: z.unknown(), kind: z.unknown() }).safeParse(json);
  if (!head.success) throw new AdmissionError('ADMISSION_MALFORMED_REVIEW', 'body is not a JSON object');
  if (head.data.kind !== 'AdmissionReview' || head.data.apiVersion !== API_VERSION) {
    throw new AdmissionError('ADMISSION_WRONG_VERSION', `expected kind AdmissionReview, apiVersion ${API_VERSION} (declare admissionReviewVersions: ["v1"])`);
  }
  const parsed = reviewSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new AdmissionError('ADMISSION_MALFORMED_REVIEW', `AdmissionReview is missing or has a bad ${where || 'request'}`, { cause: parsed.error });
  }
  return parsed.data.request;
}

export interface AdmissionAnswer {
  uid: string;
  allowed: boolean;
  /** Shown to the client when denied. */
  message?: string;
  warnings: string[];
  /** RFC 6902 JSONPatch operations (mutate only). */
  patch?: unknown[];
}

/** Kubernetes shows at most ~120 characters per warning and caps their total; long ones are cut here, the event keeps them whole. */
const MAX_WARNING = 240;
const MAX_WARNINGS = 16;

export function admissionResponse(a: AdmissionAnswer): Record<string, unknown> {
  const warnings = a.warnings.slice(0, MAX_WARNINGS).map((w) => (w.length > MAX_WARNING ? `${w.slice(0, MAX_WARNING - 1)}…` : w));
  return {
    apiVersion: API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid: a.uid,
      allowed: a.allowed,
      ...(a.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: a.message ?? 'denied by chainwatch' } }),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(a.patch && a.patch.length > 0 ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(a.patch)).toString('base64') } : {}),
    },
  };
}
