import type { Mailer } from './mailer.js';

/**
 * The container picks the transport: SMTP_URL, else EMAIL_TRANSPORT=ses, else `.eml` files in DATA_DIR/mail/. The
 * transport's code (nodemailer, the SES client) is imported on the first email, not at start (a Lambda cold start
 * that sends nothing never loads it).
 */
export function openMailer(config: { dataDir: string; email: { smtpUrl?: string; transport?: 'ses'; region?: string } }): Mailer {
  const kind: Mailer['kind'] = config.email.smtpUrl ? 'smtp' : config.email.transport === 'ses' ? 'ses' : 'file';
  let real: Promise<Mailer> | undefined;
  const load = async (): Promise<Mailer> => {
    if (kind === 'smtp') return (await import('./smtp-mailer.js')).createSmtpMailer(config.email.smtpUrl!);
    if (kind === 'ses') {
      const [{ SESv2Client }, { createSesMailer }] = await Promise.all([import('@aws-sdk/client-sesv2'), import('./ses-mailer.js')]);
      return createSesMailer(new SESv2Client({ region: config.email.region }));
    }
    return (await import('./file-mailer.js')).createFileMailer(config.dataDir);
  };
  return {
    kind,
    async send(message) {
      real ??= load().catch((err) => {
        real = undefined;
        throw err;
      });
      return (await real).send(message);
    },
    async close() {
      if (real) await (await real.catch(() => undefined))?.close();
    },
  };
}
export type { Mailer, MailMessage } from './mailer.js';
export { MailError } from './mailer.js';
