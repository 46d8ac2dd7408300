import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  /** The whole message as received (headers and body), its quoted-printable parts decoded. */
  raw: string;
}

/**
 * A real SMTP server for tests (the `smtp-server` package): it keeps every message it accepts. A recipient whose local
 * part starts with `tempfail` is refused with 451 (a 4xx: try later), with `permfail` with 550 (a 5xx: never).
 */
export async function startSmtpSink() {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      const local = address.address.split('@')[0]!;
      if (local.startsWith('tempfail')) return cb(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
      if (local.startsWith('permfail')) return cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          raw: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to: (email: string) => received.filter((m) => m.to.includes(email.toLowerCase())),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Joins soft line breaks and decodes =XX sequences (UTF-8), so a test can search the text as written. */
function decodeQuotedPrintable(raw: string) {
  return raw.replace(/=\r?\n/g, '').replace(/(?:=[0-9A-F]{2})+/g, (m) => Buffer.from(m.slice(1).split('=').map((h) => parseInt(h, 16))).toString('utf8'));
}
