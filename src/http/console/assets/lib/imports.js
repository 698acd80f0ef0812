// Import jobs as the API defines them (GET /v1/imports/{id}, its SSE stream, its report):
// following a job live, and reading its per-row report.
import { useEffect, useState } from 'preact/hooks';
import { api, seg } from './api.js';

export const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * The job, kept current from `GET /v1/imports/{id}/events` (progress events at
 * least once a second, one done event). EventSource reconnects by itself with
 * Last-Event-ID. Returns { job, error }.
 */
export function useLiveJob(id, initial = null) {
  const [state, setState] = useState({ job: initial, error: null });
  useEffect(() => {
    let source = null;
    let closed = false;
    const update = (event) => {
      try {
        setState({ job: JSON.parse(event.data), error: null });
      } catch {
        /* a malformed event is skipped; the next one brings the job */
      }
    };
    api('GET', `/v1/imports/${seg(id)}`).then(
      (job) => {
        if (closed) return;
        setState({ job, error: null });
        if (FINISHED.has(job.status)) return;
        source = new EventSource(`/v1/imports/${seg(id)}/events`);
        source.addEventListener('progress', update);
        source.addEventListener('done', (event) => {
          update(event);
          source.close();
        });
      },
      (error) => !closed && setState({ job: null, error }),
    );
    return () => {
      closed = true;
      if (source) source.close();
    };
  }, [id]);
  return [state, (job) => setState({ job, error: null })];
}

/** The job's report rows (`status` all|failed|created|updated|skipped), parsed from NDJSON. */
export async function reportRows(id, status) {
  const response = await api('GET', `/v1/imports/${seg(id)}/report`, { query: { status, format: 'ndjson' }, raw: true, headers: { accept: 'application/x-ndjson' } });
  const text = await response.text();
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

export const reportUrl = (id, query) => `/v1/imports/${seg(id)}/report?${new URLSearchParams(query)}`;

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
