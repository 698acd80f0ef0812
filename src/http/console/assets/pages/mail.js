// Mail (admin): the outbox (queued, sent, dead messages) and, without SMTP, the local mailbox of .eml files.
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { Loaded, useLoad, useLocalPages, when } from '../lib/ui.js';

function Mailbox() {
  const state = useLoad(() => api('GET', '/v1/mail').catch((e) => (e.code === 'mail.not_file_transport' ? null : Promise.reject(e))), []);
  const messages = state.data ? state.data.messages.slice().sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : [];
  const { rows, pager } = useLocalPages(messages, 25);
  return html`<section aria-labelledby="mailbox"><h2 id="mailbox">Local mailbox</h2>
    <${Loaded} state=${state} what="mailbox">
      ${(data) => data === null ? html`<p>Mail goes out over SMTP here, so there is no local mailbox.</p>` : html`
        <p class="muted">With no SMTP_URL, invitations are written as .eml files; open one to read it.</p>
        <div class="table-wrap"><table><thead><tr><th scope="col">Written</th><th scope="col">File</th><th scope="col">Size</th></tr></thead>
        <tbody>${rows.length === 0 && html`<tr><td colspan="3" class="muted">No mail yet.</td></tr>`}
          ${rows.map((m) => html`<tr><td>${when(m.createdAt)}</td><td><a href=${`/v1/mail/${seg(m.file)}`} download=${m.file}>${m.file}</a></td><td>${m.bytes.toLocaleString()} bytes</td></tr>`)}</tbody></table></div>${pager}`}
    </${Loaded}>
  </section>`;
}

export function MailPage({ can }) {
  const outbox = useLoad(() => api('GET', '/v1/outbox'), []);
  if (!can.admin) return html`<h1>Mail</h1><p>The mail outbox needs the <code>admin</code> scope.</p>`;
  return html`<section aria-labelledby="mail"><h1 id="mail">Mail</h1>
    <h2>Outbox</h2>
    <${Loaded} state=${outbox} what="outbox">
      ${(o) => html`<dl class="counts">
          ${Object.entries(o).filter(([, v]) => typeof v === 'number').map(([k, v]) => html`<div><dt>${k}</dt><dd>${v.toLocaleString()}</dd></div>`)}
        </dl>
        <h3>Dead messages</h3>
        ${o.deadMessages.length === 0 ? html`<p class="muted">None.</p>` : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">Recipient</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Queued</th></tr></thead>
          <tbody>${o.deadMessages.slice(0, 50).map((d) => html`<tr><td>${d.recipient}</td><td>${d.attempts}</td><td class="error">${d.lastError}</td><td>${when(d.createdAt)}</td></tr>`)}</tbody></table></div>`}`}
    </${Loaded}>
    <${Mailbox} />
  </section>`;
}
