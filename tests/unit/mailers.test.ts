import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { createFileMailer } from '../../src/adapters/mail/file-mailer.js';
import { MailError } from '../../src/adapters/mail/mailer.js';
import { createSesMailer } from '../../src/adapters/mail/ses-mailer.js';
import { smtpFailure } from '../../src/adapters/mail/smtp-mailer.js';
import { digestHasCome, maskEmail } from '../../src/modules/notifications/notifications.service.js';
import { renderEmail } from '../../src/modules/notifications/types.js';

const message = {
  from: 'hello@mail.example.com',
  fromName: 'Sunny Days',
  to: 'pat@example.com',
  subject: 'An incident report about Mia is waiting for you',
  text: 'line\n\nhttps://app.example.com?incidentId=1\n',
  html: '<p>line</p>',
  headers: { 'List-Unsubscribe': '<https://app.example.com?notificationPreferences=1>' },
  messageId: '<d1@daycare.notifications>',
};

describe('email transports', () => {
  it('SES: sends exactly this SendEmail request through the SESv2 client', async () => {
    const sent: unknown[] = [];
    const mailer = createSesMailer({ send: async (cmd: unknown) => void sent.push(cmd), destroy: () => undefined } as never);
    await mailer.send(message);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(SendEmailCommand);
    expect((sent[0] as SendEmailCommand).input).toEqual({
      FromEmailAddress: '"Sunny Days" <hello@mail.example.com>',
      Destination: { ToAddresses: ['pat@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'An incident report about Mia is waiting for you', Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: '<p>line</p>', Charset: 'UTF-8' } },
          Headers: [{ Name: 'List-Unsubscribe', Value: '<https://app.example.com?notificationPreferences=1>' }],
        },
      },
    });
  });

  it('SES: a 4xx refusal is permanent; throttling and 5xx are retried', async () => {
    const failing = (err: object) => createSesMailer({ send: async () => Promise.reject(Object.assign(new Error('no'), err)), destroy: () => undefined } as never);
    const permanent = await failing({ name: 'MessageRejected', $metadata: { httpStatusCode: 400 } }).send(message).catch((e) => e);
    expect(permanent).toBeInstanceOf(MailError);
    expect(permanent.permanent).toBe(true);
    for (const err of [{ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }, { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }, { name: 'TimeoutError' }]) {
      const e = await failing(err).send(message).catch((x) => x);
      expect(e.permanent, err.name).toBe(false);
    }
  });

  it('SMTP: a 5xx answer is permanent; a 4xx, a timeout or a dropped connection is not', () => {
    expect(smtpFailure({ responseCode: 550, response: '550 No such user' }).permanent).toBe(true);
    expect(smtpFailure({ responseCode: 451, response: '451 Try later' }).permanent).toBe(false);
    expect(smtpFailure({ code: 'ETIMEDOUT', message: 'Connection timeout' }).permanent).toBe(false);
    expect(smtpFailure({ code: 'ECONNECTION', message: 'Connection closed' }).permanent).toBe(false);
  });

  it('without SMTP or SES, each email is an .eml file under DATA_DIR/mail/', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'daycare-mail-'));
    await createFileMailer(dir).send(message);
    const files = await readdir(path.join(dir, 'mail'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const eml = await readFile(path.join(dir, 'mail', files[0]!), 'utf8');
    expect(eml).toContain('To: pat@example.com');
    expect(eml).toContain('Subject: An incident report about Mia is waiting for you');
    expect(eml).toContain('List-Unsubscribe: <https://app.example.com?notificationPreferences=1>');
  });
});

describe('notification templates', () => {
  it('links under APP_URL: offer.made by offerToken, membership.invited by invitationId; recipients are masked', () => {
    expect(renderEmail('offer.made', { offerToken: 'tok_123', childFirstName: 'Mia', centreName: 'Sunny' }, { type: 'application', id: 'a1' }, 'https://app.example.com').link).toBe(
      'https://app.example.com?offerToken=tok_123',
    );
    expect(renderEmail('membership.invited', {}, { type: 'membership', id: 'm1' }, 'https://app.example.com/').link).toBe('https://app.example.com/?invitationId=m1');
    const invoice = renderEmail('invoice.issued', { amount: 12345, currency: 'USD', period: '2026-03' }, { type: 'invoice', id: 'i1' }, 'https://a.example');
    expect(invoice.text).toContain('123.45 USD');
    expect(invoice.subject).toContain('2026-03');
    expect(maskEmail('pat@example.com')).toBe('p***@example.com');
  });
});

describe('the daily digest time', () => {
  it('is the centre’s local wall clock; a digest time inside a DST gap fires at the first minute after it', () => {
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 never happens that day.
    expect(digestHasCome(new Date('2026-03-08T06:59:00Z'), 'America/New_York', '02:30')).toBe(false); // 01:59 EST
    expect(digestHasCome(new Date('2026-03-08T07:00:00Z'), 'America/New_York', '02:30')).toBe(true); // 03:00 EDT
    expect(digestHasCome(new Date('2026-06-01T21:59:00Z'), 'America/New_York', '18:00')).toBe(false); // 17:59 EDT
    expect(digestHasCome(new Date('2026-06-01T22:00:00Z'), 'America/New_York', '18:00')).toBe(true);
    expect(digestHasCome(new Date('2026-06-01T08:00:00Z'), 'Asia/Kolkata', '13:30')).toBe(true); // 13:30 IST
  });
});
