// Webhooks (admin): the tenant's endpoints (GET /v1/webhooks) and each one's deliveries, newest first.
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { Loaded, useLoad, useLocalPages, when } from '../lib/ui.js';

function Deliveries({ webhook }) {
  const state = useLoad(() => api('GET', `/v1/webhooks/${seg(webhook.id)}/deliveries`), [webhook.id]);
  const list = state.data ? state.data.deliveries || [] : [];
  const { rows, pager } = useLocalPages(list, 20);
  return html`<section aria-labelledby="deliveries"><h2 id="deliveries">Deliveries to ${webhook.url}</h2>
    <${Loaded} state=${state} what="webhook">
      ${() => html`<div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead>
      <tbody>${rows.map((d) => html`<tr><td>${when(d.createdAt)}</td><td><code>${d.type}</code></td><td>${d.status}</td><td>${d.attempts}</td><td>${d.lastError || ''}</td></tr>`)}</tbody></table></div>${pager}`}
    </${Loaded}>
  </section>`;
}

export function WebhooksPage() {
  const state = useLoad(() => api('GET', '/v1/webhooks'), []);
  const [selected, setSelected] = useState(null);
  return html`<section aria-labelledby="hooks"><h1 id="hooks">Webhooks</h1>
    <${Loaded} state=${state} what="webhook">
      ${(data) => html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Deliveries</th></tr></thead>
        <tbody>${data.webhooks.map((w) => html`<tr><th scope="row">${w.url}</th><td>${w.eventTypes.join(', ')}</td>
          <td>${w.enabled ? 'enabled' : `disabled${w.disabledReason ? `: ${w.disabledReason}` : ''}`}</td><td>${when(w.createdAt)}</td>
          <td><button onClick=${() => setSelected(w)} aria-label=${`Show deliveries to ${w.url}`}>Show deliveries</button></td></tr>`)}</tbody></table></div>`}
    </${Loaded}>
    ${selected && html`<${Deliveries} webhook=${selected} />`}
  </section>`;
}
