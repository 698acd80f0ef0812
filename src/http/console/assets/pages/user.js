// One user: fields, groups, invitation and mail delivery, audit events (admin); edit,
// disable/enable, delete, resend/revoke the invitation, rotate the secret (shown once).
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { Confirm, ErrorNote, Field, Loaded, Pager, ShownOnce, useAction, useCursorPages, useLoad, when } from '../lib/ui.js';

const EDITABLE = [
  ['email', 'Email', 'email'],
  ['displayName', 'Display name', 'text'],
  ['givenName', 'Given name', 'text'],
  ['familyName', 'Family name', 'text'],
  ['phone', 'Phone', 'tel'],
  ['locale', 'Locale', 'text'],
  ['externalId', 'External id', 'text'],
];

function EditUser({ user, base, onSaved, onCancel }) {
  const [form, setForm] = useState(Object.fromEntries(EDITABLE.map(([name]) => [name, user[name] || ''])));
  const { busy, error, onSubmit } = useAction();
  const submit = onSubmit(async () => {
    const patch = {};
    for (const [name] of EDITABLE) if ((user[name] || '') !== form[name]) patch[name] = form[name] === '' ? null : form[name];
    onSaved(await api('PATCH', base, { body: patch, headers: { 'if-match': `"${user.version}"` } }));
  });
  return html`<form onSubmit=${submit} aria-label="Edit user" class="panel">
    <div class="grid">
      ${EDITABLE.map(([name, label, type]) => html`<${Field} label=${label} name=${name} type=${type} value=${form[name]} onInput=${(v) => setForm({ ...form, [name]: v })} error=${error} />`)}
    </div>
    ${error && !error.field && html`<${ErrorNote} error=${error} />`}
    <div class="actions"><button type="submit" class="primary" disabled=${busy}>Save</button><button type="button" onClick=${onCancel}>Cancel</button></div>
  </form>`;
}

function Invitation({ base, user, can }) {
  const state = useLoad(() => api('GET', `${base}/invitation`).catch((e) => (e.code === 'invitation.not_found' ? null : Promise.reject(e))), [base, user.version]);
  const { busy, error, run } = useAction();
  const act = (what) => () => run(async () => {
    await api('POST', `${base}/invitation/${what}`, what === 'resend' ? { body: {} } : {});
    state.reload();
  });
  return html`<section aria-labelledby="inv"><h2 id="inv">Invitation</h2>
    <${Loaded} state=${state} what="invitation">
      ${(inv) => html`
        ${inv === null ? html`<p class="muted">No invitation was sent.</p>` : html`<dl class="facts">
          <dt>Status</dt><dd><span class=${`badge ${inv.status}`}>${inv.status}</span></dd>
          <dt>Sent</dt><dd>${when(inv.createdAt)}</dd><dt>Expires</dt><dd>${when(inv.expiresAt)}</dd>
          <dt>Mail</dt><dd>${inv.delivery ? html`${inv.delivery.status}${inv.delivery.sentAt ? ` at ${when(inv.delivery.sentAt)}` : ''}, ${inv.delivery.attempts} attempt(s)${inv.delivery.lastError ? html` <span class="error">${inv.delivery.lastError}</span>` : ''}` : '—'}</dd>
        </dl>`}
        ${can.write && user.status === 'pending' && html`<div class="actions">
          <button onClick=${act('resend')} disabled=${busy || !user.email}>${inv ? 'Resend invitation' : 'Send invitation'}</button>
          ${inv && inv.status === 'pending' && html`<button class="danger" onClick=${act('revoke')} disabled=${busy}>Revoke invitation</button>`}
        </div>`}`}
    </${Loaded}>
    <${ErrorNote} error=${error} />
  </section>`;
}

function Groups({ base }) {
  const state = useLoad(() => api('GET', `${base}/groups`), [base]);
  return html`<section aria-labelledby="groups"><h2 id="groups">Groups</h2>
    <${Loaded} state=${state} what="user">
      ${(data) => (data.groups.length === 0 ? html`<p class="muted">In no group.</p>` : html`<ul class="tags">${data.groups.map((g) => html`<li>${g.name}</li>`)}</ul>`)}
    </${Loaded}>
  </section>`;
}

function AuditEvents({ userId }) {
  const pages = useCursorPages((cursor) => api('GET', '/v1/audit-events', { query: { user: userId, limit: 20, cursor } }), [userId]);
  return html`<section aria-labelledby="audit"><h2 id="audit">Audit events</h2>
    <${Loaded} state=${pages} what="audit trail">
      ${(data) => html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Changed</th></tr></thead>
        <tbody>${(data.events || []).map((e) => html`<tr><td>${when(e.occurredAt)}</td><td><code>${e.type}</code></td>
          <td>${e.actor.kind}${e.actor.label ? ` ${e.actor.label}` : ''} <span class="muted">via ${e.actor.dialect}</span></td>
          <td>${Object.keys(e.data || {}).join(', ') || '—'}</td></tr>`)}</tbody>
      </table></div>
      <${Pager} pageNumber=${pages.pageNumber} hasPrevious=${pages.pageNumber > 1} nextCursor=${data.nextCursor} onNext=${pages.next} onPrevious=${pages.previous} label="Audit pages" />`}
    </${Loaded}>
  </section>`;
}

export function UserPage({ params, can }) {
  const { directory, userId } = params;
  const base = `/v1/directories/${seg(directory)}/users/${seg(userId)}`;
  const state = useLoad(() => api('GET', base), [base]);
  const [user, setUser] = useState(null);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [secret, setSecret] = useState(null);
  const { busy, error, run } = useAction();
  const current = user || state.data;
  const setStatus = (status) => run(async () => setUser(await api('PATCH', base, { body: { status }, headers: { 'if-match': `"${current.version}"` } })));
  const rotate = () => run(async () => {
    const rotated = await api('POST', `${base}/secret`);
    setSecret(rotated.secret);
    const { secret: _shown, ...rest } = rotated;
    setUser(rest);
  });
  const remove = () => run(async () => {
    await api('DELETE', base);
    navigate(`/console/directories/${seg(directory)}/users`);
  });
  return html`<${Loaded} state=${state} what="user">
    ${() => html`<section aria-labelledby="user-h">
      <p class="crumbs"><a href="/console/directories">Directories</a> / <a href=${`/console/directories/${seg(directory)}/users`}>${directory}</a> / ${current.username}</p>
      <h1 id="user-h">${current.username} <span class=${`badge ${current.status}`}>${current.status}</span></h1>
      ${can.write && html`<div class="toolbar" role="group" aria-label="User actions">
        <button onClick=${() => setEditing(true)} disabled=${busy || editing}>Edit</button>
        ${current.status === 'disabled' ? html`<button onClick=${() => setStatus('active')} disabled=${busy}>Enable</button>` : html`<button onClick=${() => setStatus('disabled')} disabled=${busy}>Disable</button>`}
        <button onClick=${rotate} disabled=${busy}>Rotate secret</button>
        <button class="danger" onClick=${() => setConfirming(true)} disabled=${busy}>Delete</button>
      </div>`}
      <${ErrorNote} error=${error} />
      ${secret && html`<${ShownOnce} label=${`New secret of ${current.username}`} value=${secret} />`}
      ${editing ? html`<${EditUser} user=${current} base=${base} onSaved=${(u) => { setUser(u); setEditing(false); }} onCancel=${() => setEditing(false)} />` : html`<dl class="facts">
        <dt>Id</dt><dd><code>${current.id}</code></dd>
        ${EDITABLE.map(([name, label]) => html`<dt>${label}</dt><dd>${current[name] || '—'}</dd>`)}
        <dt>Sign-in</dt><dd>${current.hasPassword ? 'password' : current.hasSecret ? 'generated secret' : 'none yet'}</dd>
        <dt>Expires</dt><dd>${when(current.expiresAt)}</dd>
        <dt>Attributes</dt><dd>${Object.keys(current.attributes || {}).length ? html`<code>${JSON.stringify(current.attributes)}</code>` : '—'}</dd>
        <dt>Created</dt><dd>${when(current.createdAt)}</dd><dt>Updated</dt><dd>${when(current.updatedAt)}</dd><dt>Version</dt><dd>${current.version}</dd>
      </dl>`}
      <${Groups} base=${base} />
      <${Invitation} base=${base} user=${current} can=${can} />
      ${can.admin && html`<${AuditEvents} key=${current.version} userId=${current.id} />`}
      ${confirming && html`<${Confirm} title=${`Delete ${current.username}?`} confirmLabel="Delete user" onConfirm=${remove} onCancel=${() => setConfirming(false)} busy=${busy} error=${error}>
        <p>The user and their credentials are deleted. Their audit events stay.</p>
      </${Confirm}>`}
    </section>`}
  </${Loaded}>`;
}
