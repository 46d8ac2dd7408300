import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';
import { toNodemailer } from './smtp-mailer.js';

/** Neither SMTP nor SES configured: each email is an `.eml` file under DATA_DIR/mail/ (any mail client opens it). */
export function createFileMailer(dataDir: string): Mailer {
  const dir = path.resolve(dataDir, 'mail');
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'file',
    async send(m) {
      const info = (await composer.sendMail(toNodemailer(m))) as unknown as { message: Buffer };
      await mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${m.messageId.replace(/[^a-zA-Z0-9-]/g, '')}.eml`;
      await writeFile(path.join(dir, name), info.message);
    },
    async close() {},
  };
}
