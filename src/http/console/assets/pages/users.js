// Users of a directory: search (username prefix, exact username or email), status and
// group filters, sortable columns (either way, kept in the URL's ?sort=&order= so a
// reload or a shared link keeps them), cursor paging; create a user (users:write).
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { navigate, searchParams, useLocation } from '../lib/router.js';
import { ErrorNote, Field, Loaded, Pager, ShownOnce, useAction, useCursorPages, useLoad, when } from '../lib/ui.js';

const PAGE_SIZE = 50;

/** The table's columns: heading, the API's `sort` (the Name column sorts by display name). */
const COLUMNS = [
  ['Username', 'username'],
  ['Email', 'email'],
  ['Name', 'displayName'],
  ['Status', 'status'],
  ['Created', 'createdAt'],
  ['Updated', 'updatedAt'],
];

/** The sort the URL asks for; anything unknown is the default, creation order ascending. */
function sortOf(path) {
  const query = searchParams(path);
  const sort = COLUMNS.some(([, s]) => s === query.get('sort')) ? query.get('sort') : 'createdAt';
  return { sort, order: query.get('order') === 'desc' ? 'desc' : 'asc' };
}

/** A column heading that sorts by it: a button inside the <th>, which carries aria-sort while it is the sort. */
function SortHeading({ label, sort, current, onSort }) {
  const active = current.sort === sort;
  const next = active && current.order === 'asc' ? 'desc' : 'asc';
  return html`<th scope="col" aria-sort=${active ? (current.order === 'asc' ? 'ascending' : 'descending') : undefined}>
    <button type="button" class="sort" onClick=${() => onSort({ sort, order: next })} title=${`Sort by ${label.toLowerCase()}, ${next === 'asc' ? 'ascending' : 'descending'}`}>
      ${label}<span aria-hidden="true" class="sort-mark">${active ? (current.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
    </button>
  </th>`;
}

function CreateUser({ directory, onCreated }) {
  const blank = { username: '', email: '', displayName: '', password: '', credential: 'invite', redirectUrl: '' };
  const [form, setForm] = useState(blank);
  const { busy, error, onSubmit } = useAction();
  const [secret, setSecret] = useState(null);
  const [created, setCreated] = useState(null);
  const set = (name) => (value) => setForm((f) => ({ ...f, [name]: value }));
  const submit = onSubmit(async () => {
    setSecret(null);
    const body = { username: form.username };
    if (form.email) body.email = form.email;
    if (form.displayName) body.displayName = form.displayName;
    if (form.credential === 'password') body.password = form.password;
    if (form.credential === 'secret') body.generateSecret = true;
    if (form.credential === 'invite') body.invite = form.redirectUrl ? { redirectUrl: form.redirectUrl } : {};
    const created = await api('POST', `/v1/directories/${seg(directory)}/users`, { body });
    setForm(blank);
    setCreated(created);
    setSecret(created.secret ? { username: created.username, value: created.secret } : null);
    onCreated(created);
  });
  return html`<details class="panel">
    <summary>Create a user</summary>
    <form onSubmit=${submit} aria-label="Create a user">
      <div class="grid">
        <${Field} label="Username" name="username" value=${form.username} onInput=${set('username')} error=${error} required />
        <${Field} label="Email" name="email" type="email" value=${form.email} onInput=${set('email')} error=${error} required=${form.credential === 'invite'} />
        <${Field} label="Display name" name="displayName" value=${form.displayName} onInput=${set('displayName')} error=${error} />
        <${Field} label="Sign-in" name="credential" error=${error}>
          ${(a) => html`<select ...${a} value=${form.credential} onChange=${(e) => set('credential')(e.currentTarget.value)}>
            <option value="invite">Send an invitation</option>
            <option value="password">Set a password</option>
            <option value="secret">Generate a secret</option>
            <option value="none">None for now</option>
          </select>`}
        </${Field}>
        ${form.credential === 'password' && html`<${Field} label="Password" name="password" type="password" autocomplete="new-password" value=${form.password} onInput=${set('password')} error=${error} required />`}
        ${form.credential === 'invite' && html`<${Field} label="Redirect URL after accepting (optional)" name="redirectUrl" type="url" value=${form.redirectUrl} onInput=${set('redirectUrl')} error=${error} />`}
      </div>
      ${error && !error.field && html`<${ErrorNote} error=${error} />`}
      <button type="submit" class="primary" disabled=${busy}>Create user</button>
    </form>
    ${created && html`<p role="status">Created <a href=${`/console/directories/${seg(directory)}/users/${seg(created.id)}`}>${created.username}</a>.</p>`}
    ${secret && html`<${ShownOnce} label=${`Secret of ${secret.username}`} value=${secret.value} />`}
  </details>`;
}

export function UsersPage({ params, can }) {
  const { directory } = params;
  const path = useLocation();
  const sorted = sortOf(path);
  const [filters, setFilters] = useState({ by: 'usernamePrefix', text: '', status: '', group: '' });
  const groups = useLoad(() => api('GET', `/v1/directories/${seg(directory)}/groups`).catch(() => ({ groups: [] })), [directory]);
  const [applied, setApplied] = useState(filters);
  const pages = useCursorPages(
    (cursor) =>
      api('GET', `/v1/directories/${seg(directory)}/users`, {
        query: { limit: PAGE_SIZE, cursor, status: applied.status, group: applied.group, sort: sorted.sort, order: sorted.order, [applied.by]: applied.text.trim() || undefined },
      }),
    [directory, applied, sorted.sort, sorted.order],
  );
  const sortBy = ({ sort, order }) => navigate(`${path.split('?')[0]}?${new URLSearchParams({ sort, order })}`);
  const sortedLabel = COLUMNS.find(([, s]) => s === sorted.sort)[0].toLowerCase();
  const search = (event) => {
    event.preventDefault();
    setApplied(filters);
  };
  return html`<section aria-labelledby="users">
    <p class="crumbs"><a href="/console/directories">Directories</a> / ${directory}</p>
    <h1 id="users">Users of ${directory}</h1>
    <div class="toolbar">
      ${can.write && html`<a class="button" href=${`/console/directories/${seg(directory)}/import`}>Import users from a file</a>`}
    </div>
    ${can.write && html`<${CreateUser} directory=${directory} onCreated=${pages.reload} />`}
    <form class="filters" role="search" onSubmit=${search} aria-label="Search users">
      <${Field} label="Search by" name="by">
        ${(a) => html`<select ...${a} value=${filters.by} onChange=${(e) => setFilters({ ...filters, by: e.currentTarget.value })}>
          <option value="usernamePrefix">Username starts with</option><option value="username">Username (exact)</option><option value="email">Email (exact)</option>
        </select>`}
      </${Field}>
      <${Field} label="Search text" name="text" type="search" value=${filters.text} onInput=${(text) => setFilters({ ...filters, text })} />
      <${Field} label="Status" name="status">
        ${(a) => html`<select ...${a} value=${filters.status} onChange=${(e) => setFilters({ ...filters, status: e.currentTarget.value })}>
          <option value="">Any</option><option value="pending">Pending</option><option value="active">Active</option><option value="disabled">Disabled</option>
        </select>`}
      </${Field}>
      ${groups.data && groups.data.groups.length > 0 && html`<${Field} label="Group" name="group">
        ${(a) => html`<select ...${a} value=${filters.group} onChange=${(e) => setFilters({ ...filters, group: e.currentTarget.value })}>
          <option value="">Any</option>${groups.data.groups.map((g) => html`<option value=${g.name}>${g.name}</option>`)}
        </select>`}
      </${Field}>`}
      <button type="submit">Search</button>
    </form>
    <${Loaded} state=${pages} what="directory">
      ${(data) => html`
        <div class="table-wrap"><table>
          <caption class="sr-only">Users, sorted by ${sortedLabel}, ${sorted.order === 'asc' ? 'ascending' : 'descending'}; a column's button sorts by it</caption>
          <thead><tr>${COLUMNS.map(([label, sort]) => html`<${SortHeading} label=${label} sort=${sort} current=${sorted} onSort=${sortBy} />`)}</tr></thead>
          <tbody>
            ${data.users.length === 0 && html`<tr><td colspan=${COLUMNS.length} class="muted">No users match.</td></tr>`}
            ${data.users.map(
              (u) => html`<tr>
                <th scope="row"><a href=${`/console/directories/${seg(directory)}/users/${u.id}`}>${u.username}</a></th>
                <td>${u.email || '—'}</td><td>${u.displayName || [u.givenName, u.familyName].filter(Boolean).join(' ') || '—'}</td>
                <td><span class=${`badge ${u.status}`}>${u.status}</span></td><td>${when(u.createdAt)}</td><td>${when(u.updatedAt)}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>
        <${Pager} pageNumber=${pages.pageNumber} hasPrevious=${pages.pageNumber > 1} nextCursor=${data.nextCursor} onNext=${pages.next} onPrevious=${pages.previous} label="User pages" />`}
    </${Loaded}>
  </section>`;
}
