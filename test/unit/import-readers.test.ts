/** The import readers and the native mapper, without a store: records, row and line numbers, unreadable rows, header matching. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapNativeRow, parseNativeOptions } from '../../src/formats/native.ts';
import { readRecords } from '../../src/formats/readers/index.ts';
import type { ReaderSpec } from '../../src/formats/types.ts';

/** The text in pieces of `size` bytes, so records and UTF-8 characters cross chunk boundaries. */
async function* pieces(text: string, size = 5): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(spec: ReaderSpec, text: string, maxRowBytes = 1000) {
  const source = readRecords(spec, pieces(text), { maxRowBytes });
  const out: unknown[] = [];
  for await (const record of source.records) out.push('error' in record ? { row: record.row, line: record.line, code: record.error.code } : record);
  return { records: out, columns: source.columns() };
}

describe('import readers', () => {
  it('CSV: BOM, detected delimiter, quoted newlines, empty lines, a wrong field count as an unreadable row', async () => {
    const { records, columns } = await read({ kind: 'csv' }, '\ufeffname\tmail\nÅsa\tå@x.io\n"multi\nline"\tm@x.io\n\nshort\nlast\tl@x.io\n');
    assert.deepEqual(columns, ['name', 'mail']);
    assert.deepEqual(records, [
      { row: 1, line: 2, fields: { name: 'Åsa', mail: 'å@x.io' } },
      { row: 2, line: 3, fields: { name: 'multi\nline', mail: 'm@x.io' } },
      { row: 3, line: 6, code: 'import.unreadable_row' },
      { row: 4, line: 7, fields: { name: 'last', mail: 'l@x.io' } },
    ]);
  });

  it('CSV: a preamble line is checked and skipped; headerless files name their columns', async () => {
    assert.deepEqual((await read({ kind: 'csv', preamble: /^version:v1\.0$/ }, 'version:v1.0\na;b\n1;2\n')).records, [{ row: 1, line: 3, fields: { a: '1', b: '2' } }]);
    await assert.rejects(read({ kind: 'csv', preamble: /^version:v1\.0$/ }, 'a,b\n1,2\n'), { code: 'import.unreadable_file' });
    assert.deepEqual((await read({ kind: 'csv', columns: ['x', 'y'] }, '1,2\n')).records, [{ row: 1, line: 1, fields: { x: '1', y: '2' } }]);
  });

  it('CSV: a record over maxRowBytes is one unreadable row and reading goes on, with the lines after it counted right', async () => {
    const big = 'z'.repeat(300);
    // Unquoted; quoted across three lines, with escaped quotes and the delimiter inside; the last record, with no line feed.
    const text = `a,b\n1,2\n${big},x\n3,4\n"${big}\n""q"",\n${big}",y\n5,"6\n7"\n${big}`;
    assert.deepEqual((await read({ kind: 'csv' }, text, 256)).records, [
      { row: 1, line: 2, fields: { a: '1', b: '2' } },
      { row: 2, line: 3, code: 'import.unreadable_row' },
      { row: 3, line: 4, fields: { a: '3', b: '4' } },
      { row: 4, line: 5, code: 'import.unreadable_row' },
      { row: 5, line: 8, fields: { a: '5', b: '6\n7' } },
      { row: 6, line: 10, code: 'import.unreadable_row' },
    ]);
    // A record of exactly the limit passes; one byte more does not. Quotes open a field only at its start (csv-parse's relax_quotes).
    const exact = `${'e'.repeat(252)},"f"`;
    assert.equal(Buffer.byteLength(exact), 256);
    assert.deepEqual((await read({ kind: 'csv' }, `a,b\n${exact}\nx"y,"z"\n`, 256)).records, [
      { row: 1, line: 2, fields: { a: 'e'.repeat(252), b: 'f' } },
      { row: 2, line: 3, fields: { a: 'x"y', b: 'z' } },
    ]);
    assert.deepEqual((await read({ kind: 'csv' }, `a,b\n${exact}x\n1,2\n`, 256)).records, [
      { row: 1, line: 2, code: 'import.unreadable_row' },
      { row: 2, line: 3, fields: { a: '1', b: '2' } },
    ]);
    await assert.rejects(read({ kind: 'csv' }, `${big}\n1\n`, 256), { code: 'import.unreadable_file' }, 'an oversized header');
  });

  it('NDJSON: invalid JSON, a non-object and a too-long line are unreadable rows with their line numbers', async () => {
    const { records } = await read({ kind: 'ndjson' }, `{"username":"a"}\nnope\n\n[1]\n{"username":"${'b'.repeat(50)}"}\n{"username":"c"}`, 40);
    assert.deepEqual(records, [
      { row: 1, line: 1, fields: { username: 'a' } },
      { row: 2, line: 2, code: 'import.unreadable_row' },
      { row: 3, line: 4, code: 'import.unreadable_row' },
      { row: 4, line: 5, code: 'import.unreadable_row' },
      { row: 5, line: 6, fields: { username: 'c' } },
    ]);
  });

  it('JSON: a top-level array or a member of the top-level object, streamed; anything else fails the file', async () => {
    assert.deepEqual((await read({ kind: 'json' }, '[{"username":"a"},2]')).records, [{ row: 1, fields: { username: 'a' } }, { row: 2, line: undefined, code: 'import.unreadable_row' }]);
    assert.deepEqual((await read({ kind: 'json', member: 'users' }, '{"meta":{"users":1},"users":[{"username":"m"}]}')).records, [{ row: 1, fields: { username: 'm' } }]);
    await assert.rejects(read({ kind: 'json' }, '{"username":"a"}'), { code: 'import.unreadable_file' });
  });
});

describe('native mapper', () => {
  it('matches headers ignoring case and punctuation, applies the mapping, attributes, groups and status', () => {
    const options = parseNativeOptions({ mapping: JSON.stringify({ 'Personnel No': 'externalId', Abteilung: 'attributes.department' }) });
    const mapped = mapNativeRow(
      { row: 1, fields: { 'User-Name': 'ada', 'E_MAIL': 'ada@example.com', 'First Name': 'Ada', 'Personnel No': 'P7', Abteilung: 'R&D', 'attributes.floor': '3', groups: 'g1|g2', Status: 'Disabled', unknown: 'x', email2: '' } },
      options,
    );
    assert.deepEqual(mapped, {
      draft: { username: 'ada', email: 'ada@example.com', givenName: 'Ada', externalId: 'P7', groupIds: ['g1', 'g2'], status: 'disabled', attributes: { department: 'R&D', floor: '3' } },
    });
    assert.equal((mapNativeRow({ row: 2, fields: { email: 'x@example.com' } }, options) as { error: { code: string } }).error.code, 'user.invalid_username');
    assert.equal((mapNativeRow({ row: 3, fields: { username: 'u', status: 'sleeping' } }, options) as { error: { code: string } }).error.code, 'user.invalid_field');
    assert.throws(() => parseNativeOptions({ mapping: '{"a":"shoeSize"}' }), { code: 'import.invalid_options' });
    assert.throws(() => parseNativeOptions({ signerKey: 'k' }), (error: { details: { option: string } }) => error.details.option === 'signerKey');
  });
});
