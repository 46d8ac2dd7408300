import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { MailError, type MailMessage, type Mailer } from './mailer.js';

const UTF8 = 'UTF-8';

/** The SESv2 SendEmail request of one email (exported for the test that asserts it exactly). */
export function sesRequest(m: MailMessage) {
  const from = m.fromName ? `"${m.fromName.replace(/["\\\r\n]/g, '')}" <${m.from}>` : m.from;
  return {
    FromEmailAddress: from,
    Destination: { ToAddresses: [m.to] },
    Content: {
      Simple: {
        Subject: { Data: m.subject, Charset: UTF8 },
        Body: { Text: { Data: m.text, Charset: UTF8 }, Html: { Data: m.html, Charset: UTF8 } },
        Headers: Object.entries(m.headers ?? {}).map(([Name, Value]) => ({ Name, Value })),
      },
    },
  };
}

/** EMAIL_TRANSPORT=ses: Amazon SES through the SDK v3 SESv2 client (credentials and region from the environment). */
export function createSesMailer(client: Pick<SESv2Client, 'send' | 'destroy'>): Mailer {
  return {
    kind: 'ses',
    async send(m) {
      try {
        await client.send(new SendEmailCommand(sesRequest(m)));
      } catch (err) {
        const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
        const status = e.$metadata?.httpStatusCode;
        // Throttling, 5xx and network errors come back; a 4xx refusal (a rejected message, an unverified sender) does not.
        const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429 && !e.$retryable && e.name !== 'TooManyRequestsException';
        throw new MailError(`${e.name ?? 'Error'}: ${(e.message ?? String(err)).slice(0, 300)}`, permanent);
      }
    },
    async close() {
      client.destroy();
    },
  };
}
