// One import job: live progress from its SSE stream (rate, ETA, running counts),
// then the result: counts, the error table filterable by code, report and
// rejected-rows downloads, undo. Leaving and coming back shows it as it is.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { duration, FINISHED, reportRows, reportUrl, useLiveJob } from '../lib/imports.js';
import { Confirm, ErrorNote, Loaded, NotFound, useAction, useLoad, useLocalPages, when } from '../lib/ui.js';

const COUNTS = ['processed', 'created', 'updated', 'skipped', 'failed'];

export function Counts({ totals }) {
  return html`<dl class="counts" aria-label="Counts">
    ${totals.rows !== null && totals.rows !== undefined && html`<div><dt>rows</dt><dd data-count="rows">${totals.rows.toLocaleString()}</dd></div>`}
    ${COUNTS.map((name) => html`<div><dt>${name}</dt><dd data-count=${name}>${(totals[name] || 0).toLocaleString()}</dd></div>`)}
  </dl>`;
}

export function Progress({ job }) {
  const percent = Math.round(job.progress.percent);
  return html`<div class="progress-box">
    <label for="job-progress">Progress</label>
    <progress id="job-progress" max="100" value=${percent} aria-valuetext=${`${percent} percent`}>${percent} %</progress>
    <p aria-live="polite"><strong data-progress="percent">${percent} %</strong> ·
      <span data-progress="rate">${Math.round(job.progress.rowsPerSecond).toLocaleString()} rows/s</span> ·
      ETA <span data-progress="eta">${duration(job.progress.etaSeconds)}</span></p>
  </div>`;
}

/** Failed rows of the report, filterable by code, paged. */
export function FailureTable({ jobId, caption = 'Rows that failed' }) {
  const state = useLoad(() => reportRows(jobId, 'failed'), [jobId]);
  const [code, setCode] = useState('');
  const rows = state.data || [];
  const codes = useMemo(() => [...new Set(rows.map((r) => r.code))].sort(), [rows]);
  const shown = useMemo(() => (code ? rows.filter((r) => r.code === code) : rows), [rows, code]);
  const { rows: page, pager } = useLocalPages(shown, 20);
  return html`<section aria-labelledby="failures"><h2 id="failures">${caption}</h2>
    <${Loaded} state=${state} what="report">
      ${() => rows.length === 0 ? html`<p class="muted">No row failed.</p>` : html`
        <div class="field inline"><label for="code-filter">Error code</label>
          <select id="code-filter" value=${code} onChange=${(e) => setCode(e.currentTarget.value)}>
            <option value="">All codes (${rows.length})</option>
            ${codes.map((c) => html`<option value=${c}>${c} (${rows.filter((r) => r.code === c).length})</option>`)}
          </select></div>
        <div class="table-wrap"><table class="failures">
          <thead><tr><th scope="col">Row</th><th scope="col">Line</th><th scope="col">Username</th><th scope="col">Field</th><th scope="col">Code</th><th scope="col">Message</th></tr></thead>
          <tbody>${page.map((r) => html`<tr><td>${r.row}</td><td>${r.line ?? ''}</td><td>${r.username || ''}</td><td>${r.field || ''}</td><td><code>${r.code}</code></td><td>${r.message}</td></tr>`)}</tbody>
        </table></div>${pager}`}
    </${Loaded}>
  </section>`;
}

export function JobView({ id, can, initial }) {
  const [{ job, error }, setJob] = useLiveJob(id, initial);
  const { busy, error: actionError, setError: setActionError, run } = useAction();
  const [confirmUndo, setConfirmUndo] = useState(false);
  // An undo runs after the job's stream ended: its progress is read until it completes.
  const undoing = Boolean(job && job.undo && job.undo.status !== 'completed');
  useEffect(() => {
    if (!undoing) return;
    const timer = setTimeout(() => api('GET', `/v1/imports/${seg(id)}`).then(setJob, setActionError), 1000);
    return () => clearTimeout(timer);
  }, [undoing, job]);
  if (error && error.status === 404) return html`<${NotFound} what="import job" />`;
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!job) return html`<p role="status" class="muted">Loading the job…</p>`;
  const act = (what) => () => run(async () => {
    setJob(await api('POST', `/v1/imports/${seg(id)}/${what}`));
    setConfirmUndo(false);
  });
  const finished = FINISHED.has(job.status);
  const dryRun = job.options && job.options.dryRun;
  return html`<section aria-labelledby="job-h" data-job-status=${job.status}>
    <p class="crumbs"><a href="/console/imports">Imports</a> / ${job.directory}</p>
    <h1 id="job-h">Import into ${job.directory}${dryRun ? ' (dry run)' : ''}</h1>
    <p>Status: <span class=${`badge ${job.status}`} data-status>${job.status}</span> · ${job.format}, ${(job.bytes || 0).toLocaleString()} bytes · created ${when(job.createdAt)}${job.finishedAt ? ` · finished ${when(job.finishedAt)}` : ''}</p>
    ${!finished && html`<${Progress} job=${job} />`}
    <${Counts} totals=${job.totals} />
    ${job.error && html`<p class="error" role="alert">The job failed: ${job.error.message} <code>${job.error.code}</code></p>`}
    ${job.failures && job.failures.length > 0 && html`<p>Most frequent errors: ${job.failures.map((f) => html`<code>${f.code}</code> × ${f.count} `)}</p>`}
    <div class="toolbar" role="group" aria-label="Job actions">
      ${!finished && can.write && html`<button onClick=${act('cancel')} disabled=${busy}>Cancel</button>`}
      ${finished && html`<a class="button" href=${reportUrl(id, { status: 'all', format: 'csv' })} download="report.csv">Download report (CSV)</a>
        <a class="button" href=${reportUrl(id, { status: 'all', format: 'ndjson' })} download="report.ndjson">Download report (NDJSON)</a>
        ${job.format === 'csv' && job.totals.failed > 0 && html`<a class="button" href=${reportUrl(id, { status: 'failed', format: 'csv', rejected: 'true' })} download="rejected.csv">Download rejected rows</a>`}`}
      ${finished && !dryRun && can.write && !job.undo && job.totals.created > 0 && html`<button class="danger" onClick=${() => setConfirmUndo(true)} disabled=${busy}>Undo import</button>`}
    </div>
    <${ErrorNote} error=${actionError} />
    ${job.undo && html`<p role="status" class="notice">Undo ${job.undo.status}: ${job.undo.deleted} deleted, ${job.undo.kept} kept (changed since)${job.undo.at ? `, ${when(job.undo.at)}` : ''}.</p>`}
    ${finished && html`<${FailureTable} jobId=${id} />`}
    ${confirmUndo && html`<${Confirm} title="Undo this import?" confirmLabel="Undo import" onConfirm=${act('undo')} onCancel=${() => setConfirmUndo(false)} busy=${busy} error=${actionError}>
      <p>Deletes the ${job.totals.created.toLocaleString()} users this job created, except those changed since.</p>
    </${Confirm}>`}
  </section>`;
}

export function JobPage({ params, can }) {
  return html`<${JobView} id=${params.jobId} can=${can} />`;
}
