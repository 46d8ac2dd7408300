import type { Mailer } from './mailer.js';

/** The container picks the transport: SMTP_URL, else EMAIL_TRANSPORT=ses, else `.eml` files in DATA_DIR/mail/. */
export async function openMailer(config: { dataDir: string; email: { smtpUrl?: string; transport?: 'ses'; region?: string } }): Promise<Mailer> {
  if (config.email.smtpUrl) {
    const { createSmtpMailer } = await import('./smtp-mailer.js');
    return createSmtpMailer(config.email.smtpUrl);
  }
  if (config.email.transport === 'ses') {
    const [{ SESv2Client }, { createSesMailer }] = await Promise.all([import('@aws-sdk/client-sesv2'), import('./ses-mailer.js')]);
    return createSesMailer(new SESv2Client({ region: config.email.region }));
  }
  const { createFileMailer } = await import('./file-mailer.js');
  return createFileMailer(config.dataDir);
}
export type { Mailer, MailMessage } from './mailer.js';
export { MailError } from './mailer.js';
