/** One email as every transport takes it. */
export interface MailMessage {
  /** The address (EMAIL_FROM); `fromName` is shown as the sender (the centre's name). */
  from: string;
  fromName?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers (List-Unsubscribe). */
  headers?: Record<string, string>;
  /** A stable Message-ID per delivery, so a resend after a crash can be recognised by the receiving side. */
  messageId: string;
}

/** A transport's refusal: `permanent` (an SMTP 5xx, a rejected address) fails the delivery at once; else it is retried. */
export class MailError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'MailError';
  }
}

/** The email port: SMTP (nodemailer), Amazon SES (SDK v3 SESv2) or `.eml` files under DATA_DIR/mail/. */
export interface Mailer {
  readonly kind: 'smtp' | 'ses' | 'file';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
