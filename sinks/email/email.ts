import type { Transporter as NodemailerTransporter } from 'nodemailer';
import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification } from '../../core/index.js';
import { durationSchema, parseConfig, secretSchema } from '../../core/index.js';
import { formatNotificationText, formatTitle, SinkError } from '../shared/index.js';

/**
 * E-mail over SMTP (nodemailer). One message per notification; the Message-ID is derived from
 * the notification id, so an outbox redelivery after a crash carries the same Message-ID (mail
 * stores and dedup filters collapse it), and updates/resolves thread under the trigger through
 * In-Reply-To/References (the trigger's Message-ID is kept as the externalRef).
 *
 * TLS: `secure: true` is implicit TLS (port 465); otherwise STARTTLS is used when offered and
 * `requireTLS: true` refuses to send without it. With `auth` set, TLS is required whatever
 * `requireTLS` says (nodemailer would otherwise send AUTH PLAIN/LOGIN, the password in base64, in
 * cleartext to a server that offers no STARTTLS, or to whoever strips the offer); only
 * `allowInsecureAuth: true` permits that. Certificates are verified unless
 * `tls.rejectUnauthorized: false` is set explicitly (test servers only).
 */
export const emailSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('email').default('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    requireTLS: z.boolean().default(false),
    /** Let `auth` be sent without TLS (a trusted local relay only): the password crosses the wire readable. */
    allowInsecureAuth: z.boolean().default(false),
    tls: z
      .object({
        rejectUnauthorized: z.boolean().default(true),
        servername: z.string().min(1).optional(),
        /** PEM bundle of extra trusted CAs. */
        ca: z.string().min(1).optional(),
        minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      })
      .strict()
      .default({ rejectUnauthorized: true, minVersion: 'TLSv1.2' }),
    auth: z
      .object({ user: z.string().min(1), password: secretSchema })
      .strict()
      .optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    cc: z.array(z.string().min(3)).default([]),
    /** Connection, greeting and socket timeouts. */
    timeout: durationSchema.prefault('15s'),
  })
  .strict();
export type EmailSinkConfig = z.output<typeof emailSinkConfigSchema>;

/** Whether the sink must refuse to talk without TLS: asked for, or credentials that would otherwise cross in cleartext. */
export function requiresTls(cfg: Pick<EmailSinkConfig, 'requireTLS' | 'auth' | 'allowInsecureAuth'>): boolean {
  return cfg.requireTLS || (cfg.auth !== undefined && !cfg.allowInsecureAuth);
}

/** The part of a nodemailer transport the sink uses (tests inject a fake). */
type Transporter = Pick<NodemailerTransporter, 'sendMail' | 'close'>;

/** Node's certificate verification error codes (kept by nodemailer as `originalCode`). */
const TLS_VERIFY = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT/;

/** Maps nodemailer errors onto SinkError; never copies the server's reply text (it may echo addresses or credentials). */
export function classifySmtpError(sink: string, err: unknown): SinkError {
  const e = err as { code?: string; originalCode?: string; responseCode?: number; permanent?: boolean };
  const what = `sink ${sink}: SMTP ${e.code ?? 'error'}${e.originalCode ? `/${e.originalCode}` : ''}${e.responseCode ? ` ${e.responseCode}` : ''}`;
  // A certificate that does not verify will not verify on the next attempt either: fix the config.
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS' || (e.originalCode !== undefined && TLS_VERIFY.test(e.originalCode))) {
    return new SinkError('SINK_CONFIG', what);
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ECONFIG' || (e.code === 'EENVELOPE' && e.responseCode === undefined)) {
    return new SinkError(e.code === 'EENVELOPE' ? 'SINK_REJECTED' : 'SINK_CONFIG', what);
  }
  if (e.responseCode !== undefined) {
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode !== 503);
    return new SinkError(permanent ? 'SINK_REJECTED' : 'SINK_UNAVAILABLE', what);
  }
  if (e.code === 'ETIMEDOUT') return new SinkError('SINK_TIMEOUT', what);
  return new SinkError('SINK_UNAVAILABLE', what);
}

export function emailMessage(n: Notification, cfg: Pick<EmailSinkConfig, 'from' | 'to' | 'cc'>) {
  const domain = cfg.from.replace(/^.*@/, '').replace(/>.*$/, '') || 'chainwatch.invalid';
  const messageId = `<${n.id}@${domain}>`;
  const thread = n.action !== 'trigger' && n.externalRef ? { inReplyTo: n.externalRef, references: [n.externalRef] } : {};
  return {
    from: cfg.from,
    to: cfg.to,
    ...(cfg.cc.length ? { cc: cfg.cc } : {}),
    subject: formatTitle(n),
    text: formatNotificationText(n),
    messageId,
    ...thread,
    headers: {
      'X-Chainwatch-Notification-Id': n.id,
      'X-Chainwatch-Dedup-Key': n.dedupKey,
      'X-Chainwatch-Action': n.action,
      'X-Chainwatch-Severity': n.finding.severity,
      'X-Chainwatch-Category': n.finding.category,
      ...(n.auditUrl ? { 'X-Chainwatch-Audit-Url': n.auditUrl } : {}),
    },
  };
}

export class EmailSink implements AlertSink {
  readonly kind = 'email';
  readonly name: string;
  private transport: Transporter | undefined;

  constructor(
    private readonly cfg: EmailSinkConfig,
    deps: { transport?: Transporter } = {},
  ) {
    this.name = cfg.name;
    this.transport = deps.transport;
  }

  /** nodemailer is loaded on first use: a daemon without an email receiver never pays for it. */
  private async smtp(): Promise<Transporter> {
    if (this.transport) return this.transport;
    const { createTransport } = await import('nodemailer');
    const cfg = this.cfg;
    this.transport = createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure,
      requireTLS: requiresTls(cfg),
      tls: {
        rejectUnauthorized: cfg.tls.rejectUnauthorized,
        minVersion: cfg.tls.minVersion,
        ...(cfg.tls.servername ? { servername: cfg.tls.servername } : {}),
        ...(cfg.tls.ca ? { ca: cfg.tls.ca } : {}),
      },
      ...(cfg.auth ? { auth: { user: cfg.auth.user, pass: cfg.auth.password.reveal() } } : {}),
      connectionTimeout: cfg.timeout,
      greetingTimeout: cfg.timeout,
      socketTimeout: cfg.timeout,
      // Never let nodemailer log the SMTP dialogue: AUTH lines carry the password (base64).
      logger: false,
      debug: false,
    });
    return this.transport;
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const msg = emailMessage(n, this.cfg);
    if (signal.aborted) throw new SinkError('SINK_TIMEOUT', `sink ${this.name}: aborted before sending`);
    // nodemailer has no cancellation once the SMTP dialogue runs; stop waiting on abort (the
    // socket timeouts end the dialogue) and let the outbox retry with the same Message-ID.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new SinkError('SINK_TIMEOUT', `sink ${this.name}: aborted while sending`));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const sending = (await this.smtp()).sendMail(msg);
    // Whichever loses the race settles later: keep its rejection from surfacing as unhandled.
    sending.catch(() => undefined);
    aborted.catch(() => undefined);
    try {
      await Promise.race([sending, aborted]);
    } catch (err) {
      throw err instanceof SinkError ? err : classifySmtpError(this.name, err);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
    return n.action === 'trigger' ? { externalRef: msg.messageId } : {};
  }

  async close(): Promise<void> {
    this.transport?.close();
  }
}

export function createEmailSink(config: unknown, deps?: ConstructorParameters<typeof EmailSink>[1]): EmailSink {
  return new EmailSink(parseConfig(emailSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
