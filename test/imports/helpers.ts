/** Helpers of the import tests: upload a file, wait for the job, read the report. */
import type { TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

export interface ImportCall {
  readonly svc: TestService;
  readonly key: string;
}

export async function upload(
  { svc, key }: ImportCall,
  directory: string,
  body: string | Buffer,
  contentType: string,
  query = '',
  headers: Record<string, string> = {},
) {
  return svc.request({
    method: 'POST',
    url: `/v1/directories/${directory}/imports${query ? `?${query}` : ''}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType, ...headers },
    payload: body,
  });
}

/** The job once it is completed, failed or cancelled. */
export async function finished({ svc, key }: ImportCall, id: string, timeoutMs = 60_000) {
  return waitFor(
    `import ${id} to finish`,
    async () => {
      const job = (await svc.call('GET', `/v1/imports/${id}`, { key })).body;
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    },
    timeoutMs,
  );
}

export async function reportLines({ svc, key }: ImportCall, id: string, query = 'format=ndjson'): Promise<Record<string, unknown>[]> {
  const response = await svc.call('GET', `/v1/imports/${id}/report?${query}`, { key });
  return response.text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}
