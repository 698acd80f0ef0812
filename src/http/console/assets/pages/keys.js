// API keys (admin): list, create (the key shown once with a copy button), revoke.
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { Confirm, ErrorNote, Field, Loaded, ShownOnce, useAction, useLoad, useLocalPages, when } from '../lib/ui.js';

const SCOPES = [
  ['users:read', 'Read users'],
  ['users:write', 'Create and change users'],
  ['admin', 'Administer (keys, directories, mail, audit)'],
];

function CreateKey({ onCreated }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(['users:read']);
  const { busy, error, onSubmit } = useAction();
  const [issued, setIssued] = useState(null);
  const submit = onSubmit(async () => {
    const created = await api('POST', '/v1/api-keys', { body: { name, scopes } });
    setIssued(created);
    setName('');
    onCreated();
  });
  const toggle = (scope) => setScopes((s) => (s.includes(scope) ? s.filter((x) => x !== scope) : [...s, scope]));
  return html`<form class="panel" onSubmit=${submit} aria-label="Create an API key">
    <h2>Create a key</h2>
    <${Field} label="Name" name="name" value=${name} onInput=${setName} error=${error} required maxlength="128" />
    <fieldset><legend>Scopes</legend>
      ${SCOPES.map(([scope, label]) => html`<label class="check"><input type="checkbox" checked=${scopes.includes(scope)} onChange=${() => toggle(scope)} /> <code>${scope}</code> ${label}</label>`)}
    </fieldset>
    ${error && !error.field && html`<${ErrorNote} error=${error} />`}
    <button type="submit" class="primary" disabled=${busy || scopes.length === 0}>Create key</button>
    ${issued && html`<${ShownOnce} label=${`API key ${issued.name}`} value=${issued.key} />`}
  </form>`;
}

export function KeysPage({ can }) {
  const list = useLoad(() => api('GET', '/v1/api-keys'), []);
  const [revoking, setRevoking] = useState(null);
  const { busy, error, setError, run } = useAction();
  const keys = list.data ? list.data.keys : [];
  const { rows, pager } = useLocalPages(keys, 25);
  if (!can.admin) return html`<h1>API keys</h1><p>Managing keys needs the <code>admin</code> scope.</p>`;
  const revoke = () => run(async () => {
    await api('POST', `/v1/api-keys/${seg(revoking.id)}/revoke`);
    setRevoking(null);
    list.reload();
  });
  return html`<section aria-labelledby="keys"><h1 id="keys">API keys</h1>
    <${CreateKey} onCreated=${list.reload} />
    <${Loaded} state=${list} what="key">
      ${() => html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th></tr></thead>
        <tbody>${rows.map((k) => html`<tr>
          <th scope="row">${k.name}</th><td><code>${k.prefix}</code></td><td>${k.scopes.join(', ')}</td><td>${when(k.createdAt)}</td><td>${when(k.lastUsedAt)}</td>
          <td>${k.revokedAt ? html`revoked ${when(k.revokedAt)}` : html`<button class="danger" onClick=${() => setRevoking(k)} aria-label=${`Revoke key ${k.name}`}>Revoke</button>`}</td>
        </tr>`)}</tbody>
      </table></div>${pager}`}
    </${Loaded}>
    ${revoking && html`<${Confirm} title=${`Revoke key ${revoking.name}?`} confirmLabel="Revoke key" onConfirm=${revoke} onCancel=${() => { setRevoking(null); setError(null); }} busy=${busy} error=${error}>
      <p>Every client using <code>${revoking.prefix}…</code> loses access at once, including console sessions it signed in.</p>
    </${Confirm}>`}
  </section>`;
}
