/**
 * A real HTTPS webhook receiver on 127.0.0.1, with a self-signed certificate
 * (the `selfsigned` package) for 127.0.0.1 and localhost. The service trusts it
 * through WEBHOOK_CA_FILE (`caFile`, written here), and reaches it on loopback
 * only because the tests set WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true: without
 * that setting muster refuses loopback receivers.
 *
 * Every request is recorded (headers and raw body) before `answer` decides
 * the status, so a test sees failed attempts as well as accepted ones.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ReceivedHook {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The status this request was answered with. */
  readonly status: number;
}

export interface WebhookReceiver {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** A PEM file holding the receiver's certificate, for WEBHOOK_CA_FILE. */
  readonly caFile: string;
  readonly received: ReceivedHook[];
  /** Decides each answer's status (default 204) and may delay it. */
  answer: (request: { path: string; headers: Record<string, string>; body: string; index: number }) => number | Promise<number>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const caFile = join(mkdtempSync(join(tmpdir(), 'muster-hooks-')), 'receiver-ca.pem');
  writeFileSync(caFile, pems.cert);
  const received: ReceivedHook[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    caFile,
    received,
    answer: () => 204,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const path = req.url ?? '/';
      void Promise.resolve(receiver.answer({ path, headers, body, index: received.length })).then((status) => {
        received.push({ path, headers, body, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `refused with ${status}` : 'ok');
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, { url: `https://127.0.0.1:${port}` });
}
