/**
 * The separate metrics listener (METRICS_PORT): GET /metrics without
 * credentials, anything else 404. Bind it where only scrapers reach
 * (METRICS_HOST, default 127.0.0.1).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { METRICS_CONTENT_TYPE, type Metrics } from './metrics.ts';

export async function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}
