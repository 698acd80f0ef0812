// Shared pieces of the console's pages: loading and error states, labelled
// fields with their error next to them, confirmation, paging, copy-once secrets.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

/** Runs `load` (an async function of nothing) when `deps` change; returns { data, error, loading, reload }. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error) => mine === generation.current && setState({ data: undefined, error, loading: false }),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

/**
 * An action's busy and error state. `run(work)` clears the error, is busy
 * while the async `work` runs and keeps what it threw (`rewrite` may reword
 * it); `onSubmit(work)` is a form's submit handler that runs `work`.
 */
export function useAction({ rewrite = (error) => error } = {}) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (work) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(rewrite(e));
    } finally {
      setBusy(false);
    }
  };
  const onSubmit = (work) => (event) => {
    event.preventDefault();
    return run(work);
  };
  return { busy, error, setError, run, onSubmit };
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="muted" role="status">${what}…</p>`;
}

/** An API error in words: the message, and the code for reference. */
export function ErrorNote({ error, id }) {
  if (!error) return null;
  return html`<p class="error" role="alert" id=${id}>${error.message}${error.code ? html` <code>${error.code}</code>` : ''}</p>`;
}

export function NotFound({ what = 'page' }) {
  return html`<section aria-labelledby="nf"><h1 id="nf">Not found</h1><p>There is no such ${what} here. It may have been deleted, or belong to another tenant.</p><p><a href="/console/directories">Back to directories</a></p></section>`;
}

/** A page's data, or its loading, not-found and error states. */
export function Loaded({ state, what, children }) {
  if (state.loading && state.data === undefined) return html`<${Loading} />`;
  if (state.error && state.error.status === 404) return html`<${NotFound} what=${what} />`;
  if (state.error) return html`<${ErrorNote} error=${state.error} />`;
  return children(state.data);
}

let fieldIds = 0;
/** A labelled input with its error (from an ApiError naming this field) next to it. */
export function Field({ label, name, error, hint, children, type = 'text', value, onInput, ...rest }) {
  const [id] = useState(() => `f${++fieldIds}`);
  const mine = error && error.field === name ? error : null;
  const described = [hint ? `${id}-hint` : '', mine ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const control = children
    ? children({ id, 'aria-describedby': described, 'aria-invalid': mine ? 'true' : undefined })
    : html`<input id=${id} name=${name} type=${type} value=${value} onInput=${(e) => onInput(e.currentTarget.value)} aria-describedby=${described} aria-invalid=${mine ? 'true' : undefined} ...${rest} />`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${control}
    ${hint && html`<small id=${`${id}-hint`} class="muted">${hint}</small>`}
    ${mine && html`<span class="error" id=${`${id}-err`}>${mine.message}</span>`}
  </div>`;
}

/** A modal confirmation: the question, a confirm button (danger) and cancel; Escape cancels. */
export function Confirm({ title, children, confirmLabel, onConfirm, onCancel, busy, error }) {
  const dialog = useRef(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element && element.open && element.close();
  }, []);
  return html`<dialog ref=${dialog} aria-labelledby="confirm-title" onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <h2 id="confirm-title">${title}</h2>
    ${children}
    <${ErrorNote} error=${error} />
    <div class="actions">
      <button class="danger" onClick=${onConfirm} disabled=${busy}>${confirmLabel}</button>
      <button onClick=${onCancel}>Cancel</button>
    </div>
  </dialog>`;
}

/**
 * Cursor paging: the cursors of the pages before this one, so Previous works on
 * an API that pages forward only. `page(cursor)` loads one page.
 */
export function useCursorPages(load, deps) {
  const [cursors, setCursors] = useState([undefined]);
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(() => load(cursor), [...deps, cursor]);
  useEffect(() => setCursors([undefined]), deps);
  return {
    ...state,
    pageNumber: cursors.length,
    next: (nextCursor) => setCursors((c) => [...c, nextCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

export function Pager({ pageNumber, hasPrevious, nextCursor, onNext, onPrevious, label = 'Pages' }) {
  return html`<nav class="pager" aria-label=${label}>
    <button onClick=${onPrevious} disabled=${!hasPrevious}>Previous</button>
    <span aria-live="polite">Page ${pageNumber}</span>
    <button onClick=${() => onNext(nextCursor)} disabled=${!nextCursor}>Next</button>
  </nav>`;
}

/** Pages an array in the browser (long lists are never rendered whole). */
export function useLocalPages(items, size = 25) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(items.length / size));
  useEffect(() => setPage(0), [items]);
  const current = Math.min(page, pages - 1);
  return {
    rows: items.slice(current * size, current * size + size),
    pager: html`<nav class="pager" aria-label="Table pages">
      <button onClick=${() => setPage(current - 1)} disabled=${current === 0}>Previous</button>
      <span aria-live="polite">Page ${current + 1} of ${pages}</span>
      <button onClick=${() => setPage(current + 1)} disabled=${current >= pages - 1}>Next</button>
    </nav>`,
  };
}

/** A secret shown this once, with a copy button. */
export function ShownOnce({ label, value }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      const field = document.getElementById('shown-once');
      field.select();
      setCopied(false);
    }
  };
  return html`<div class="shown-once" role="region" aria-label=${label}>
    <p><strong>${label}</strong>: shown this once. Store it now; it cannot be shown again.</p>
    <div class="copy-row">
      <input id="shown-once" readonly value=${value} aria-label=${label} onFocus=${(e) => e.currentTarget.select()} />
      <button onClick=${copy}>Copy</button>
    </div>
    <span role="status">${copied ? 'Copied.' : ''}</span>
  </div>`;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

export function Busy({ busy, children }) {
  return busy ? html`<span role="status" class="muted">Working…</span>` : children;
}
