import { SMTPServer } from 'smtp-server';
import { arrivals } from './arrivals.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent, headers and body, with quoted-printable soft line breaks undone. */
  raw: string;
  subject: string;
}

/**
 * A real SMTP server on a spare loopback port that keeps every message it is handed (no
 * authentication, no TLS), for testing what Hookline mails.
 */
export async function startSmtpServer() {
  const mails: ReceivedMail[] = [];
  const arrival = arrivals(mails, 'SMTP server', 'mails');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
          .toString('utf8')
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
        });
        arrival.arrived();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor: arrival.waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpServer = Awaited<ReturnType<typeof startSmtpServer>>;
