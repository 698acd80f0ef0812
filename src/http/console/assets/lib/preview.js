// The wizard's preview: the first kilobyte of the file, parsed in the browser
// (Papa Parse for CSV: it detects the delimiter), and automatic column matches.
// Only a preview: the service parses the whole file itself.

export const PREVIEW_BYTES = 1024;
export const PREVIEW_ROWS = 10;

/** Formats of the import API, with how their files are read (for the preview) and sent. */
export const FORMATS = {
  csv: { label: 'CSV', reader: 'csv', mapping: true },
  ndjson: { label: 'NDJSON (one JSON object a line)', reader: 'ndjson', mapping: true },
  json: { label: 'JSON array', reader: 'json', mapping: true },
  auth0: { label: 'Auth0 export (NDJSON)', reader: 'ndjson', mapping: false },
  firebase: { label: 'Firebase Auth export (JSON)', reader: 'json', mapping: false },
  keycloak: { label: 'Keycloak realm export (JSON)', reader: 'json', mapping: false },
  cognito: { label: 'Amazon Cognito (CSV)', reader: 'csv', mapping: false },
  entra: { label: 'Microsoft Entra bulk create (CSV)', reader: 'csv', mapping: false },
};

export const CONTENT_TYPES = { csv: 'text/csv', ndjson: 'application/x-ndjson', json: 'application/json' };

/** The format a file most likely is, by its name and type. */
export function guessFormat(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.json') || file.type === 'application/json') return 'json';
  return 'csv';
}

export const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/** Native fields a column can be mapped to, and names columns for them are often given. */
export const FIELDS = [
  ['username', 'Username', ['username', 'user', 'login', 'userid', 'account', 'uid', 'samaccountname', 'userprincipalname', 'upn']],
  ['email', 'Email', ['email', 'mail', 'emailaddress', 'e-mail', 'courriel']],
  ['displayName', 'Display name', ['displayname', 'name', 'fullname']],
  ['givenName', 'Given name', ['givenname', 'firstname', 'first', 'forename']],
  ['familyName', 'Family name', ['familyname', 'lastname', 'last', 'surname']],
  ['phone', 'Phone', ['phone', 'phonenumber', 'mobile', 'telephone', 'tel', 'cell']],
  ['locale', 'Locale', ['locale', 'language', 'lang']],
  ['externalId', 'External id', ['externalid', 'employeeid', 'employeenumber', 'id', 'externalidentifier']],
  ['password', 'Password', ['password', 'pass', 'pwd']],
  ['passwordHash', 'Password hash', ['passwordhash', 'hash']],
  ['status', 'Status', ['status', 'state']],
];

const normalise = (name) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Each column's automatic match: the field whose name or a usual alias it is, each field used once. */
export function autoMapping(columns) {
  const used = new Set();
  const mapping = {};
  for (const column of columns) {
    const key = normalise(column);
    const found = FIELDS.find(([field, , aliases]) => !used.has(field) && (normalise(field) === key || aliases.some((a) => normalise(a) === key)));
    mapping[column] = found ? found[0] : '';
    if (found) used.add(found[0]);
  }
  return mapping;
}

/** True when a first CSV row reads as a header: distinct, non-empty names, none an email or a number. */
function looksLikeHeader(row) {
  return row.length > 0 && new Set(row).size === row.length && row.every((cell) => cell.trim() !== '' && !/@/.test(cell) && !/^[\d\s.+-]+$/.test(cell));
}

function previewCsv(text, cut, delimiter) {
  let body = text;
  if (/^version:/i.test(body)) body = body.slice(body.indexOf('\n') + 1); // Entra's preamble line
  const parsed = globalThis.Papa.parse(body, { delimiter: delimiter || '', skipEmptyLines: true, preview: PREVIEW_ROWS + 2 });
  let rows = parsed.data;
  // A kilobyte may end mid-record: the last record is dropped unless the text ended at a line end.
  if (cut && !/\n$/.test(body) && rows.length > 1) rows = rows.slice(0, -1);
  const header = rows[0] || [];
  return {
    delimiter: parsed.meta.delimiter,
    hasHeader: looksLikeHeader(header),
    columns: header,
    rows: rows.slice(1, PREVIEW_ROWS + 1).map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? '']))),
    problems: parsed.errors.filter((e) => e.type !== 'Delimiter').slice(0, 3).map((e) => `Row ${e.row + 1}: ${e.message}`),
  };
}

function objectsPreview(objects) {
  const columns = [...new Set(objects.flatMap((o) => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : [])))];
  const cell = (value) => (value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  return { delimiter: null, hasHeader: true, columns, rows: objects.slice(0, PREVIEW_ROWS).map((o) => Object.fromEntries(columns.map((c) => [c, cell(o && o[c])]))), problems: [] };
}

function previewNdjson(text, cut) {
  const lines = text.split('\n');
  if (cut) lines.pop();
  const objects = [];
  const problems = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || objects.length >= PREVIEW_ROWS) return;
    try {
      objects.push(JSON.parse(line));
    } catch {
      problems.push(`Line ${i + 1} is not JSON.`);
    }
  });
  return { ...objectsPreview(objects), problems };
}

/** Largest JSON file previewed whole (a JSON document cannot be read from its first kilobyte alone). */
const JSON_PREVIEW_MAX_BYTES = 512 * 1024;

async function previewJson(file) {
  if (file.size > JSON_PREVIEW_MAX_BYTES) return { delimiter: null, hasHeader: true, columns: [], rows: [], problems: ['This JSON file is too large to preview here; the import reads it whole.'] };
  try {
    const document = JSON.parse(await file.text());
    const list = Array.isArray(document) ? document : Object.values(document || {}).find(Array.isArray) || [];
    return objectsPreview(list);
  } catch (error) {
    return { delimiter: null, hasHeader: true, columns: [], rows: [], problems: [`The file is not valid JSON: ${error.message}`] };
  }
}

/** The preview of `file` read as `format` (delimiter '' detects). */
export async function previewFile(file, format, delimiter) {
  const reader = FORMATS[format].reader;
  if (reader === 'json') return previewJson(file);
  const text = await file.slice(0, PREVIEW_BYTES).text();
  const cut = file.size > PREVIEW_BYTES;
  return reader === 'csv' ? previewCsv(text, cut, delimiter) : previewNdjson(text, cut);
}
