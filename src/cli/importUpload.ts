/**
 * The upload of an import file: its sha256 (for the Idempotency-Key), then one
 * streamed POST /v1/directories/{directory}/imports. Memory stays flat
 * whatever the file's size: the file is read in 64 KiB chunks under the
 * socket's back-pressure, with its length as Content-Length.
 *
 * node:http rather than fetch: it sends `Expect: 100-continue` and waits for
 * the server's go-ahead before the first byte of the body, so a server that
 * already holds the job for this Idempotency-Key can answer it (200) without
 * the file being sent a second time; fetch can do neither that nor a known
 * Content-Length on a stream body.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { serviceErrorOf, unreachable, type ServiceClient } from './http.ts';
import type { ImportJob } from './importJob.ts';
import { SECRET_OPTIONS, type UploadRequest } from './importOptions.ts';

/** How long to wait for `100 Continue` before sending the body anyway (a proxy may swallow it; RFC 9110 §10.1.1 says not to wait forever). */
const CONTINUE_TIMEOUT_MS = 3000;

/** The file's sha256 in hex, read as a stream; `onProgress` gets the bytes read so far. */
export async function sha256File(path: string, onProgress: (bytes: number) => void = () => {}, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress(bytes);
  }
  return hash.digest('hex');
}

/** The service's answer to the upload: 202 a new job, 200 the job this key already named. */
export interface UploadAnswer {
  readonly status: number;
  readonly job: ImportJob;
}

export interface UploadTarget {
  readonly client: ServiceClient;
  readonly idempotencyKey: string;
  readonly onProgress: (sentBytes: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * The request body: the file as is with the options in the query, or, when an
 * option is a secret (Firebase's signer key), multipart/form-data with the
 * options as fields before the file part, so no secret is ever in a URL.
 */
function bodyOf(request: UploadRequest, size: number) {
  const secret = Object.keys(request.options).some((name) => SECRET_OPTIONS.has(name));
  if (!secret) {
    return { query: new URLSearchParams(request.options), contentType: request.contentType, length: size, prefix: Buffer.alloc(0), suffix: Buffer.alloc(0) };
  }
  const boundary = `muster-${randomBytes(16).toString('hex')}`;
  const quoted = (text: string) => text.replace(/["\r\n\\]/g, '_');
  const fields = Object.entries(request.options)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`)
    .join('');
  const prefix = Buffer.from(`${fields}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(basename(request.file))}"\r\nContent-Type: ${request.contentType}\r\n\r\n`);
  const suffix = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { query: new URLSearchParams(), contentType: `multipart/form-data; boundary=${boundary}`, length: prefix.length + size + suffix.length, prefix, suffix };
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends the file. Resolves with the job (202 or 200); rejects with a
 * ServiceError when the service refuses (its code, status and Retry-After),
 * a ServiceUnreachableError when the connection fails or drops, an AbortError
 * when `signal` aborts.
 */
export async function uploadFile(request: UploadRequest, target: UploadTarget): Promise<UploadAnswer> {
  const { baseUrl, key, hint } = target.client;
  const size = (await stat(request.file)).size;
  const body = bodyOf(request, size);
  const query = body.query.toString();
  const url = new URL(`${baseUrl}/v1/directories/${encodeURIComponent(request.directory)}/imports${query ? `?${query}` : ''}`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<UploadAnswer>((resolve, reject) => {
    let sending = false;
    let file: Readable | undefined;
    const req = send(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': body.contentType,
        'content-length': String(body.length),
        'idempotency-key': target.idempotencyKey,
        accept: 'application/json',
        expect: '100-continue',
      },
      ...(target.signal && { signal: target.signal }),
    });
    const startBody = () => {
      if (sending) return;
      sending = true;
      let sent = 0;
      req.write(body.prefix);
      file = createReadStream(request.file);
      file.on('data', (chunk) => {
        sent += chunk.length;
        target.onProgress(sent, size);
      });
      file.on('end', () => req.end(body.suffix));
      file.on('error', (error) => req.destroy(error));
      file.pipe(req, { end: false });
    };
    const fallback = setTimeout(startBody, CONTINUE_TIMEOUT_MS);
    req.on('continue', () => {
      clearTimeout(fallback);
      startBody();
    });
    req.on('response', (response) => {
      clearTimeout(fallback);
      sending = true; // a late 100 Continue starts nothing
      // An answer before the whole body (a replayed job, a refusal): stop sending.
      if (file && !file.readableEnded) {
        file.unpipe(req);
        file.destroy();
      }
      readAll(response).then((text) => {
        if (!file?.readableEnded) req.destroy(); // the body was cut short: this connection cannot carry another request
        const status = response.statusCode ?? 0;
        if (status === 200 || status === 202) resolve({ status, job: JSON.parse(text) as ImportJob });
        else reject(serviceErrorOf(baseUrl, status, text, response.headers['retry-after'] as string | undefined));
      }, (error: unknown) => reject(unreachable(baseUrl, error, hint)));
    });
    req.on('error', (error) => {
      clearTimeout(fallback);
      reject(error.name === 'AbortError' ? error : unreachable(baseUrl, error, hint));
    });
    req.flushHeaders();
  });
}
