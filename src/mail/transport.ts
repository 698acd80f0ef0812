/**
 * How mail leaves muster: SMTP (nodemailer; SMTP_URL, smtp:// with STARTTLS when
 * the server offers it, smtps:// for implicit TLS, credentials in the URL), or,
 * with no SMTP_URL (the embedded default), `.eml` files under DATA_DIR/mail/<tenant>/
 * that a newcomer can open, also listed by GET /v1/mail.
 *
 * SMTP certificates are verified against Node's CA store (plus NODE_EXTRA_CA_CERTS):
 * a server with an untrusted or misnamed certificate is refused, the attempt fails
 * (retried, then dead) and nothing is sent in the clear. Only `tlsInsecure`
 * (SMTP_TLS_INSECURE=true) turns verification off.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { MusterError } from '../domain/errors.ts';

export interface OutgoingMail {
  /** `<id@domain>`: stable across retries, so a duplicate is recognisable. */
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The server refused the message for good (an SMTP 5xx reply): retrying will not help. */
export class PermanentMailError extends Error {}

export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  /** Sends one message; `tenantId` only files it (file transport). Throws PermanentMailError or a retryable error. */
  send(mail: OutgoingMail, tenantId: string): Promise<void>;
  close(): void;
}

/** Open SMTP connections kept for reuse; the mail worker sends this many messages at once. */
export const SMTP_CONNECTIONS = 4;

export interface SmtpOptions {
  /** Accept any certificate (SMTP_TLS_INSECURE); the caller logs that it is on. */
  readonly tlsInsecure?: boolean;
}

export function smtpTransport(url: string, from: string, options: SmtpOptions = {}): MailTransport {
  // Pooled: connections (and AUTH) are reused across messages instead of one per mail.
  const transporter = nodemailer.createTransport({
    pool: true,
    url,
    maxConnections: SMTP_CONNECTIONS,
    ...(options.tlsInsecure && { tls: { rejectUnauthorized: false } }),
  });
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number' && code >= 500) throw new PermanentMailError((error as Error).message, { cause: error });
        throw error;
      }
    },
    close: () => transporter.close(),
  };
}

/** Reads the .eml files of one tenant. */
export interface MailFolder {
  list(tenantId: string): { file: string; bytes: number; createdAt: Date }[];
  read(tenantId: string, file: string): Buffer;
}

const EML_NAME = /^[\w.-]+\.eml$/;

export function fileTransport(root: string, from: string): MailTransport & MailFolder {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const folder = (tenantId: string) => join(root, tenantId);
  return {
    kind: 'file',
    async send(mail, tenantId) {
      const info = await composer.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId });
      const dir = folder(tenantId);
      mkdirSync(dir, { recursive: true });
      const name = `${Date.now()}-${mail.messageId.replace(/[^\w.-]/g, '_')}.eml`;
      // Written under a temporary name and renamed, so a listing never shows half a file.
      writeFileSync(join(dir, `.${name}.tmp`), info.message as Buffer);
      renameSync(join(dir, `.${name}.tmp`), join(dir, name));
    },
    close: () => composer.close(),
    list(tenantId) {
      let names: string[];
      try {
        names = readdirSync(folder(tenantId)).filter((n) => EML_NAME.test(n));
      } catch {
        return [];
      }
      return names.sort().map((file) => {
        const stat = statSync(join(folder(tenantId), file));
        return { file, bytes: stat.size, createdAt: stat.mtime };
      });
    },
    read(tenantId, file) {
      if (!EML_NAME.test(file)) throw new MusterError('mail.not_found');
      try {
        return readFileSync(join(folder(tenantId), file));
      } catch {
        throw new MusterError('mail.not_found');
      }
    },
  };
}
