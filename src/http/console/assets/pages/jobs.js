// Import jobs of the tenant, newest first: the same jobs the API and the CLI see.
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { Loaded, Pager, useCursorPages, when } from '../lib/ui.js';

export function JobsPage() {
  const pages = useCursorPages(
    (cursor) => api('GET', '/v1/imports', { query: { limit: 25, cursor } }).catch((e) => (e.code === 'route.not_found' ? null : Promise.reject(e))),
    [],
  );
  return html`<section aria-labelledby="jobs"><h1 id="jobs">Import jobs</h1>
    <p class="muted">To start one, open a directory and choose Import.</p>
    <${Loaded} state=${pages} what="job list">
      ${(data) => data === null ? html`<p>This service has no import-job API.</p>` : html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Started</th><th scope="col">Directory</th><th scope="col">Format</th><th scope="col">Status</th><th scope="col">Rows</th><th scope="col">Created</th><th scope="col">Failed</th></tr></thead>
        <tbody>
          ${data.imports.length === 0 && html`<tr><td colspan="7" class="muted">No import jobs yet.</td></tr>`}
          ${data.imports.map((j) => html`<tr>
            <th scope="row"><a href=${`/console/imports/${seg(j.id)}`}>${when(j.createdAt)}</a></th>
            <td>${j.directory}</td><td>${j.format}${j.options && j.options.dryRun ? ' (dry run)' : ''}</td>
            <td><span class=${`badge ${j.status}`}>${j.status}</span>${j.status === 'running' ? ` ${Math.round(j.progress.percent)} %` : ''}</td>
            <td>${j.totals.rows ?? j.totals.processed}</td><td>${j.totals.created}</td><td>${j.totals.failed}</td>
          </tr>`)}
        </tbody>
      </table></div>
      <${Pager} pageNumber=${pages.pageNumber} hasPrevious=${pages.pageNumber > 1} nextCursor=${data.nextCursor} onNext=${pages.next} onPrevious=${pages.previous} label="Job pages" />`}
    </${Loaded}>
  </section>`;
}
