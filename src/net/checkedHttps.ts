/**
 * One HTTPS POST to a URL a tenant chose, with the safety a webhook sender
 * needs: https only; the host resolved once and checked (addressGuard.ts),
 * then the connection made to that checked address (TLS still verifies the
 * certificate against the host name), so DNS rebinding cannot redirect it;
 * no redirect followed (a 3xx is just a status); the response body read up to
 * `maxResponseBytes` and the rest dropped; the whole exchange bounded by
 * `timeoutMs`. A fresh connection per request (no pooled socket outlives
 * the address check); TLS sessions are resumed.
 */
import { Agent, request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { resolveCheckedAddress } from './addressGuard.ts';

export interface CheckedPostOptions {
  readonly allowPrivate: boolean;
  /** PEM certificates trusted besides the system's (WEBHOOK_CA_FILE). */
  readonly extraCa: readonly string[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export interface PostResult {
  readonly status: number;
  /** The first `maxResponseBytes` of the body, as text. */
  readonly body: string;
}

export type CheckedPost = (url: string, headers: Readonly<Record<string, string>>, body: string) => Promise<PostResult>;

/**
 * A poster for `options`. The TLS context (the system's roots plus
 * `extraCa`) is built once here: building it per request parses every root
 * certificate and cost ~90 ms a delivery.
 */
export function checkedPoster(options: CheckedPostOptions): CheckedPost {
  const secureContext = options.extraCa.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...options.extraCa] }) : undefined;
  // No socket is kept alive (each request connects to a freshly checked
  // address); the agent only caches TLS sessions, so a receiver's next
  // handshake is a resumption.
  const agent = new Agent({ keepAlive: false, maxCachedSessions: 1000 });
  return (url, headers, body) => postChecked(url, headers, body, options, agent, secureContext);
}

/** Throws on a refused address (a MusterError), a network or TLS failure, or the timeout; any HTTP status resolves. */
async function postChecked(url: string, headers: Readonly<Record<string, string>>, body: string, options: CheckedPostOptions, agent: Agent, secureContext: SecureContext | undefined): Promise<PostResult> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new Error('only https URLs are called');
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const checked = await resolveCheckedAddress(host, options.allowPrivate);
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  };
  return new Promise<PostResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let status = 0;
    const finish = () => {
      clearTimeout(timer);
      resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
    };
    const req = request(
      {
        method: 'POST',
        host: isIP(host) === 0 ? host : checked.address,
        ...(isIP(host) === 0 && { servername: host }),
        port: target.port === '' ? 443 : Number(target.port),
        path: `${target.pathname}${target.search}`,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), host: target.host },
        lookup: pinned,
        agent,
        ...(secureContext && { secureContext }),
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => {
          if (received < options.maxResponseBytes) chunks.push(chunk.subarray(0, options.maxResponseBytes - received));
          received += chunk.length;
          if (received >= options.maxResponseBytes) {
            res.destroy();
            finish();
          }
        });
        res.on('end', finish);
        res.on('error', (error) => {
          if (received >= options.maxResponseBytes) return;
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}
