// The import wizard: pick or drop a file, preview its first rows (delimiter and
// header detected in the browser), map columns (automatic matches you can
// change), dry run with per-row verdicts on the preview's cells, options,
// start; then the job's page follows it live. Every step is a call of the
// import-job API (POST /v1/directories/{directory}/imports): the job is the
// same one the API and the CLI see.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { FINISHED, reportRows } from '../lib/imports.js';
import { autoMapping, CONTENT_TYPES, DELIMITERS, FIELDS, FORMATS, guessFormat, PREVIEW_BYTES, previewFile } from '../lib/preview.js';
import { ErrorNote, Field, useAction } from '../lib/ui.js';
import { Counts, FailureTable, Progress } from './job.js';

/** Resolves with the finished job, calling `onUpdate` with each progress event of its SSE stream. */
function finishedJob(id, onUpdate) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`/v1/imports/${seg(id)}/events`);
    const read = (event) => JSON.parse(event.data);
    source.addEventListener('progress', (event) => onUpdate(read(event)));
    source.addEventListener('done', (event) => {
      source.close();
      resolve(read(event));
    });
    source.onerror = () => {
      // EventSource reconnects by itself; a job that finished meanwhile is read directly.
      api('GET', `/v1/imports/${seg(id)}`).then((job) => {
        if (FINISHED.has(job.status)) {
          source.close();
          resolve(job);
        }
      }, (error) => {
        source.close();
        reject(error);
      });
    };
  });
}

function DropZone({ onFile }) {
  const [over, setOver] = useState(false);
  const drop = (event) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  };
  return html`<div class=${`drop ${over ? 'over' : ''}`} onDragOver=${(e) => { e.preventDefault(); setOver(true); }} onDragLeave=${() => setOver(false)} onDrop=${drop}>
    <label for="import-file">Choose a file, or drop it here</label>
    <input id="import-file" type="file" accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,text/csv,application/json" onChange=${(e) => e.currentTarget.files[0] && onFile(e.currentTarget.files[0])} />
    <small class="muted">CSV, NDJSON, JSON, or an export of Auth0, Firebase, Keycloak, Cognito or Entra.</small>
  </div>`;
}

/** The preview table; with a dry run's verdicts, each row says what would happen and errors sit on their cells. */
function PreviewTable({ preview, mapping, verdicts }) {
  const fieldColumn = (field) => preview.columns.find((c) => (mapping[c] || c) === field);
  return html`<div class="table-wrap"><table class="preview" aria-describedby="preview-about">
    <thead><tr><th scope="col">Row</th>${preview.columns.map((c) => html`<th scope="col">${c}${mapping[c] ? html`<br /><small class="muted">→ ${mapping[c]}</small>` : ''}</th>`)}${verdicts && html`<th scope="col">Dry run</th>`}</tr></thead>
    <tbody>${preview.rows.map((row, i) => {
      const verdict = verdicts && verdicts.get(i + 1);
      const failed = verdict && verdict.status === 'failed';
      const errorColumn = failed && verdict.field ? fieldColumn(verdict.field) : undefined;
      return html`<tr class=${failed ? 'row-failed' : ''} data-row=${i + 1}>
        <th scope="row">${i + 1}</th>
        ${preview.columns.map((c) => c === errorColumn
          ? html`<td class="cell-error" data-error-code=${verdict.code}><span>${row[c]}</span><br /><small>${verdict.message}</small></td>`
          : html`<td>${row[c]}</td>`)}
        ${verdicts && html`<td class=${failed ? 'error' : 'ok'} data-verdict=${verdict ? verdict.status : 'unknown'}>${verdict ? (failed ? html`<code>${verdict.code}</code> ${errorColumn ? '' : verdict.message}` : `would be ${verdict.status}`) : '—'}</td>`}
      </tr>`;
    })}</tbody>
  </table></div>`;
}

export function ImportWizard({ params, can }) {
  const { directory } = params;
  const [file, setFile] = useState(null);
  const [format, setFormat] = useState('csv');
  const [delimiter, setDelimiter] = useState('');
  const [preview, setPreview] = useState(null);
  const [mapping, setMapping] = useState({});
  const [options, setOptions] = useState({ mode: 'partial', onConflict: 'fail', invite: false, redirectUrl: '', message: '' });
  const [dryRun, setDryRun] = useState(null); // { job, verdicts }
  const [running, setRunning] = useState(null); // the dry-run job while it runs
  const { busy, error, setError, run } = useAction();
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  useEffect(() => {
    if (!file) return;
    let current = true;
    previewFile(file, format, delimiter).then((p) => {
      if (!current) return;
      setPreview(p);
      setMapping(FORMATS[format].mapping ? autoMapping(p.columns) : {});
    });
    return () => { current = false; };
  }, [file, format, delimiter]);

  const choose = (picked) => {
    setFile(picked);
    setFormat(guessFormat(picked));
    setDelimiter('');
    setDryRun(null);
    setError(null);
    setIdempotencyKey(crypto.randomUUID());
  };
  const changed = (apply) => (value) => {
    apply(value);
    setDryRun(null);
  };

  const sentMapping = useMemo(() => Object.fromEntries(Object.entries(mapping).filter(([, field]) => field !== '')), [mapping]);
  const upload = (dry) => {
    const reader = FORMATS[format].reader;
    const query = {
      format,
      mode: options.mode,
      onConflict: options.onConflict,
      dryRun: dry ? 'true' : undefined,
      invite: options.invite ? 'true' : undefined,
      redirectUrl: options.invite ? options.redirectUrl : undefined,
      message: options.invite ? options.message : undefined,
      delimiter: reader === 'csv' && delimiter ? delimiter : undefined,
      mapping: FORMATS[format].mapping && Object.keys(sentMapping).length ? sentMapping : undefined,
    };
    return api('POST', `/v1/directories/${seg(directory)}/imports`, {
      query,
      body: file,
      contentType: CONTENT_TYPES[reader],
      headers: dry ? {} : { 'idempotency-key': idempotencyKey },
    });
  };
  const runDry = () => run(async () => {
    setDryRun(null);
    try {
      const started = await upload(true);
      setRunning(started);
      const job = await finishedJob(started.id, setRunning);
      const rows = job.status === 'completed' ? await reportRows(job.id, 'all') : [];
      setDryRun({ job, verdicts: new Map(rows.map((r) => [r.row, r])) });
    } finally {
      setRunning(null);
    }
  });
  const start = () => run(async () => {
    const job = await upload(false);
    navigate(`/console/imports/${seg(job.id)}`);
  });

  if (!can.write) return html`<h1>Import users</h1><p>Importing needs the <code>users:write</code> scope.</p>`;
  const mapped = new Set(Object.values(mapping).filter(Boolean));
  const needsUsername = FORMATS[format].mapping && preview && preview.columns.length > 0 && !mapped.has('username');
  return html`<section aria-labelledby="wiz" class="wizard">
    <p class="crumbs"><a href="/console/directories">Directories</a> / <a href=${`/console/directories/${seg(directory)}/users`}>${directory}</a> / import</p>
    <h1 id="wiz">Import users into ${directory}</h1>

    <section aria-labelledby="step-file"><h2 id="step-file">1. File</h2>
      <${DropZone} onFile=${choose} />
      ${file && html`<p data-file>${file.name} · ${file.size.toLocaleString()} bytes</p>
        <div class="grid">
          <${Field} label="Format" name="format" error=${error}>
            ${(a) => html`<select ...${a} value=${format} onChange=${(e) => changed(setFormat)(e.currentTarget.value)}>${Object.entries(FORMATS).map(([value, f]) => html`<option value=${value}>${f.label}</option>`)}</select>`}
          </${Field}>
          ${FORMATS[format].reader === 'csv' && html`<${Field} label="Delimiter" name="delimiter" error=${error}>
            ${(a) => html`<select ...${a} value=${delimiter} onChange=${(e) => changed(setDelimiter)(e.currentTarget.value)}>
              <option value="">Detect${preview && preview.delimiter ? ` (found ${DELIMITERS[preview.delimiter] || JSON.stringify(preview.delimiter)})` : ''}</option>
              ${Object.entries(DELIMITERS).map(([value, name]) => html`<option value=${value}>${name}</option>`)}
            </select>`}
          </${Field}>`}
        </div>`}
    </section>

    ${preview && html`<section aria-labelledby="step-preview"><h2 id="step-preview">2. Preview</h2>
      <p id="preview-about" data-detected>
        ${preview.delimiter !== null && html`Delimiter: <strong data-delimiter=${preview.delimiter}>${DELIMITERS[preview.delimiter] || JSON.stringify(preview.delimiter)}</strong>. `}
        ${FORMATS[format].reader === 'csv' && (preview.hasHeader ? html`Header row: <strong>found</strong> (${preview.columns.length} column${preview.columns.length === 1 ? "" : "s"}). ` : html`<span class="error">The first row does not look like a header; the import reads the first row as column names.</span> `)}
        First ${preview.rows.length} rows of the first ${PREVIEW_BYTES.toLocaleString()} bytes.
      </p>
      ${preview.problems.map((p) => html`<p class="error">${p}</p>`)}
      ${preview.rows.length > 0 && html`<${PreviewTable} preview=${preview} mapping=${mapping} verdicts=${dryRun && dryRun.verdicts} />`}
    </section>`}

    ${preview && FORMATS[format].mapping && preview.columns.length > 0 && html`<section aria-labelledby="step-map"><h2 id="step-map">3. Columns</h2>
      <p class="muted">Each column of the file goes to a field of the user; the matches below were found by name. Columns set to “not imported” are left out of the mapping.</p>
      <div class="grid mapping">
        ${preview.columns.map((column) => html`<${Field} label=${`Column “${column}”`} name=${`mapping.${column}`} error=${error}>
          ${(a) => html`<select ...${a} data-column=${column} value=${mapping[column] || ''} onChange=${(e) => changed(setMapping)({ ...mapping, [column]: e.currentTarget.value })}>
            <option value="">— not imported —</option>
            ${FIELDS.map(([field, label]) => html`<option value=${field}>${label} (${field})</option>`)}
          </select>`}
        </${Field}>`)}
      </div>
      ${needsUsername && html`<p class="error" role="alert">No column is mapped to Username; every user needs one.</p>`}
    </section>`}

    ${preview && html`<section aria-labelledby="step-options"><h2 id="step-options">${FORMATS[format].mapping ? '4' : '3'}. Options</h2>
      <div class="grid">
        <${Field} label="Mode" name="mode" error=${error}>
          ${(a) => html`<select ...${a} value=${options.mode} onChange=${(e) => changed(setOptions)({ ...options, mode: e.currentTarget.value })}>
            <option value="partial">Partial: import the good rows, report the bad</option><option value="atomic">Atomic: all rows or none</option></select>`}
        </${Field}>
        <${Field} label="When a user already exists" name="onConflict" error=${error}>
          ${(a) => html`<select ...${a} value=${options.onConflict} onChange=${(e) => changed(setOptions)({ ...options, onConflict: e.currentTarget.value })}>
            <option value="fail">Fail the row</option><option value="skip">Skip the row</option><option value="upsert">Update the user</option></select>`}
        </${Field}>
      </div>
      <label class="check"><input type="checkbox" checked=${options.invite} onChange=${(e) => changed(setOptions)({ ...options, invite: e.currentTarget.checked })} /> Send an invitation to each created user</label>
      ${options.invite && html`<div class="grid">
        <${Field} label="Redirect URL after accepting" name="redirectUrl" type="url" value=${options.redirectUrl} onInput=${(v) => changed(setOptions)({ ...options, redirectUrl: v })} error=${error} />
        <${Field} label="Message in the invitation" name="message" value=${options.message} onInput=${(v) => changed(setOptions)({ ...options, message: v })} error=${error} />
      </div>`}
    </section>`}

    ${preview && html`<section aria-labelledby="step-run"><h2 id="step-run">${FORMATS[format].mapping ? '5' : '4'}. Check and start</h2>
      ${error && html`<${ErrorNote} error=${error} />`}
      <div class="toolbar">
        <button onClick=${runDry} disabled=${busy || needsUsername}>Dry run</button>
        <button class="primary" onClick=${start} disabled=${busy || needsUsername}>Start import</button>
      </div>
      ${running && html`<div role="status"><p>Dry run ${running.status}…</p><${Progress} job=${running} /></div>`}
      ${dryRun && html`<div class="dry-run" data-dry-run=${dryRun.job.status}>
        <h3>Dry run: ${dryRun.job.status}</h3>
        <p>Nothing was written. Had it run: </p>
        <${Counts} totals=${dryRun.job.totals} />
        ${dryRun.job.error && html`<p class="error">${dryRun.job.error.message} <code>${dryRun.job.error.code}</code></p>`}
        <${FailureTable} jobId=${dryRun.job.id} caption="Rows that would fail" />
      </div>`}
    </section>`}
  </section>`;
}
