/**
 * A real SMTP server on loopback (the smtp-server package) that records what it
 * accepts and can refuse mail on demand, for mail tests. It requires AUTH, so
 * the tests also show that SMTP_URL credentials work. With `tls`, it speaks
 * implicit TLS (smtps) or offers STARTTLS with a certificate generated here;
 * being self-signed, the URL it gives tells the client not to verify it.
 */
import { once } from 'node:events';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly messageId: string;
  readonly to: string;
  readonly raw: string;
  /** Whether the session was encrypted (TLS) when the message came. */
  readonly secure: boolean;
}

export interface TestSmtp {
  /** smtp://user:password@127.0.0.1:port */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Refuse the next `count` messages with `code` (451: try later; 550: permanent). */
  refuse(count: number, code?: number): void;
  /** Wait this long before answering each message (to keep a sender busy). */
  delayEach(ms: number): void;
  /** How many messages it refused so far. */
  refusedCount(): number;
  /** Resolves once `predicate` holds, or rejects after `timeoutMs`. */
  waitFor(predicate: (received: ReceivedMail[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const USER = 'muster';
const PASSWORD = 'smtp-test-password';

export async function startTestSmtp(options: { tls?: 'implicit' | 'starttls' } = {}): Promise<TestSmtp> {
  const pems = options.tls ? await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' }) : undefined;
  const received: ReceivedMail[] = [];
  let toRefuse = 0;
  let refuseCode = 451;
  let refused = 0;
  let delay = 0;
  const server = new SMTPServer({
    ...(pems ? { key: pems.private, cert: pems.cert, secure: options.tls === 'implicit' } : { disabledCommands: ['STARTTLS'] }),
    // With TLS, AUTH is accepted only on the encrypted connection.
    allowInsecureAuth: !pems,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        setTimeout(() => {
          if (toRefuse > 0) {
            toRefuse -= 1;
            refused += 1;
            const error = Object.assign(new Error(refuseCode >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: refuseCode });
            return callback(error);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '';
          received.push({ messageId, to: session.envelope.rcptTo.map((r) => r.address).join(','), raw, secure: session.secure });
          callback();
        }, delay);
      });
    },
  });
  // A client that dies mid-session (the crash test kills one) resets its connection: expected here.
  server.on('error', () => {});
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as { port: number };
  const scheme = options.tls === 'implicit' ? 'smtps' : 'smtp';
  return {
    url: `${scheme}://${USER}:${PASSWORD}@127.0.0.1:${port}${pems ? '?tls.rejectUnauthorized=false' : ''}`,
    received,
    refuse(count, code = 451) {
      toRefuse = count;
      refuseCode = code;
    },
    delayEach(ms) {
      delay = ms;
    },
    refusedCount: () => refused,
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for mail (received ${received.length})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The invitation link in a received mail's text part. */
export function inviteToken(mail: ReceivedMail): string {
  // Undo quoted-printable soft line breaks, which may split a long link.
  const token = /\/invite\/([A-Za-z0-9_-]{43})/.exec(mail.raw.replace(/=\r?\n/g, ''))?.[1];
  if (!token) throw new Error('no invitation link in the mail');
  return token;
}
