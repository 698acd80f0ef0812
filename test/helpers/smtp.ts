/**
 * A real SMTP server on loopback (the smtp-server package) that records what it
 * accepts and can refuse mail on demand, for mail tests. It requires AUTH, so
 * the tests also show that SMTP_URL credentials work. With `tls`, it speaks
 * implicit TLS (smtps) or offers STARTTLS with a certificate for 127.0.0.1
 * issued by a private CA generated here (`caPem`): untrusted unless the client is
 * given that CA (NODE_EXTRA_CA_CERTS) or told not to verify (SMTP_TLS_INSECURE).
 */
import { once } from 'node:events';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait.ts';

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
  /** With `tls`: the PEM of the CA that issued the server's certificate. */
  readonly caPem: string | undefined;
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

/** A private CA, and a server certificate for 127.0.0.1 that it issued. */
async function issueCertificate(): Promise<{ ca: string; private: string; cert: string }> {
  const ca = await generate([{ name: 'commonName', value: 'muster test CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
  });
  const server = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { ca: ca.cert, private: server.private, cert: server.cert };
}

const USER = 'muster';
const PASSWORD = 'smtp-test-password';

export async function startTestSmtp(options: { tls?: 'implicit' | 'starttls' } = {}): Promise<TestSmtp> {
  const pems = options.tls ? await issueCertificate() : undefined;
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
    url: `${scheme}://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    caPem: pems?.ca,
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
      await waitFor(`mail (received ${received.length} so far)`, () => predicate(received), timeoutMs);
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
