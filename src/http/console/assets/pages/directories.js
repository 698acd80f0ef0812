// Directories: list, create (admin), delete with confirmation showing how many users go with it.
import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api, seg } from '../lib/api.js';
import { Confirm, Field, Loaded, useAction, useLoad, when } from '../lib/ui.js';

/** Counting pages through the list API stops here; beyond it the count is "more than". */
const COUNT_LIMIT = 10_000;

/** The directory's users, counted by paging the list API (there is no count endpoint). */
async function countUsers(directory) {
  let count = 0;
  let cursor;
  do {
    const page = await api('GET', `/v1/directories/${seg(directory)}/users`, { query: { limit: 200, cursor } });
    count += page.users.length;
    cursor = page.nextCursor;
  } while (cursor && count < COUNT_LIMIT);
  return { count, more: Boolean(cursor) };
}

function CreateDirectory({ onCreated }) {
  const [name, setName] = useState('');
  // An error naming no field is about the name, the form's one field.
  const { busy, error, onSubmit } = useAction({ rewrite: (e) => (e.field ? e : Object.assign(e, { details: { ...e.details, field: 'name' } })) });
  const submit = onSubmit(async () => {
    await api('POST', '/v1/directories', { body: { name } });
    setName('');
    onCreated();
  });
  return html`<form class="inline-form" onSubmit=${submit} aria-label="Create a directory">
    <${Field} label="New directory name" name="name" value=${name} onInput=${setName} error=${error} required hint="Lower-case letters, digits, - and _." />
    <button type="submit" class="primary" disabled=${busy}>Create directory</button>
  </form>`;
}

function DeleteDirectory({ directory, onDone, onCancel }) {
  const count = useLoad(() => countUsers(directory.id), [directory.id]);
  const { busy, error, run } = useAction();
  const confirm = () => run(async () => {
    await api('DELETE', `/v1/directories/${seg(directory.id)}`, { query: { force: true } });
    onDone();
  });
  const users = count.data ? `${count.data.more ? 'more than ' : ''}${count.data.count.toLocaleString()} user${count.data.count === 1 ? '' : 's'}` : null;
  return html`<${Confirm} title=${`Delete directory ${directory.name}?`} confirmLabel="Delete directory and its users" onConfirm=${confirm} onCancel=${onCancel} busy=${busy || count.loading} error=${error || count.error}>
    <p>${users === null ? 'Counting its users…' : html`This deletes the directory and its <strong>${users}</strong>. It cannot be undone.`}</p>
  </${Confirm}>`;
}

export function DirectoriesPage({ can }) {
  const list = useLoad(() => api('GET', '/v1/directories'), []);
  const [deleting, setDeleting] = useState(null);
  return html`<section aria-labelledby="dirs">
    <h1 id="dirs">Directories</h1>
    ${can.admin && html`<${CreateDirectory} onCreated=${list.reload} />`}
    <${Loaded} state=${list} what="directory">
      ${(data) => html`<div class="table-wrap"><table>
        <caption class="sr-only">Directories of this tenant</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${data.directories.map(
            (d) => html`<tr>
              <th scope="row"><a href=${`/console/directories/${seg(d.name)}/users`}>${d.name}</a></th>
              <td>${when(d.createdAt)}</td>
              <td class="row-actions">
                <a href=${`/console/directories/${seg(d.name)}/users`}>Users</a>
                ${can.write && html`<a href=${`/console/directories/${seg(d.name)}/import`}>Import</a>`}
                ${can.admin && html`<button class="danger" onClick=${() => setDeleting(d)} aria-label=${`Delete directory ${d.name}`}>Delete</button>`}
              </td>
            </tr>`,
          )}
        </tbody>
      </table></div>`}
    </${Loaded}>
    ${deleting && html`<${DeleteDirectory} directory=${deleting} onCancel=${() => setDeleting(null)} onDone=${() => { setDeleting(null); list.reload(); }} />`}
  </section>`;
}
