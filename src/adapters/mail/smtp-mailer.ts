import nodemailer from 'nodemailer';
import { MailError, type MailMessage, type Mailer } from './mailer.js';

/** Whether an SMTP failure is worth trying again: a 4xx answer, a timeout or a dropped connection; never a 5xx. */
export function smtpFailure(err: unknown): MailError {
  const e = err as { responseCode?: number; code?: string; message?: string; response?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const text = (code ? `${code} ` : '') + (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 300);
  return new MailError(text, code !== undefined && code >= 500);
}

/** Shared shape of a nodemailer message (SMTP and the .eml writer). */
export function toNodemailer(m: MailMessage) {
  return {
    from: m.fromName ? { name: m.fromName, address: m.from } : m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    headers: m.headers,
    messageId: m.messageId,
  };
}

/** SMTP_URL (`smtp://[user:pass@]host:port` or `smtps://`) through nodemailer, with bounded waits. */
export function createSmtpMailer(url: string, timeoutMs = 15_000): Mailer {
  const transport = nodemailer.createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs } as never);
  return {
    kind: 'smtp',
    async send(m) {
      try {
        await transport.sendMail(toNodemailer(m));
      } catch (err) {
        throw smtpFailure(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}
