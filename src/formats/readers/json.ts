/**
 * JSON reader: the elements of an array, at the top level or as the member
 * `member` of the top-level object, streamed with stream-json (a well-kept
 * streaming tokenizer and assembler), one element at a time: a 1 GB array is
 * never parsed whole. An element that is not an object is an UnreadableRow;
 * a document that is not valid JSON, or has no such array, fails the file
 * (`import.unreadable_file`) at the point where that shows, so rows before it
 * stand.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import parserStream from 'stream-json';
import pick from 'stream-json/filters/pick.js';
import streamArray from 'stream-json/streamers/stream-array.js';
import { MusterError } from '../../domain/errors.ts';
import type { SourceRow, UnreadableRow } from '../types.ts';
import type { RecordSource } from './source.ts';

export function readJson(bytes: AsyncIterable<Uint8Array>, options: { readonly member?: string }): RecordSource {
  async function* records(): AsyncGenerator<SourceRow | UnreadableRow> {
    const elements = streamArray.asStream();
    const source = Readable.from(bytes);
    const feeding = (
      options.member === undefined
        ? pipeline(source, parserStream(), elements)
        : pipeline(source, parserStream(), pick.asStream({ filter: options.member }), elements)
    ).catch((error: unknown) => {
      elements.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    try {
      for await (const { key, value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
        const row = key + 1;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          yield { row, error: new MusterError('import.unreadable_row', 'The element is not a JSON object.') };
        } else yield { row, fields: value as Record<string, unknown> };
      }
    } catch (error) {
      const where = options.member === undefined ? 'an array' : `an object with an array "${options.member}"`;
      throw new MusterError('import.unreadable_file', `The file is not ${where} of JSON objects: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await feeding;
    }
  }
  return { records: records(), columns: () => undefined };
}
