/**
 * The boundary rule for every route of every dialect: path parameters, query
 * strings and bodies hold only text the store can keep (no NUL, no lone
 * surrogate, in values and in object keys; see domain/storable.ts) and bodies nest at
 * most INPUT_MAX_DEPTH deep. A request that breaks it is a 400
 * `request.invalid` naming the field, rendered by the route's dialect, before
 * any handler runs: so such input never reaches PostgreSQL (which would fail
 * with a 500) and deep JSON never reaches a recursive serialiser.
 *
 * Runs as a root `preHandler` hook (after authentication and schema
 * validation, so an unauthenticated caller still gets the dialect's 401), and
 * not for unknown routes (those are the dialect's 404).
 * The walk is iterative: it cannot overflow the stack whatever the input.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { FieldProblem } from '../domain/errors.ts';
import { INPUT_MAX_DEPTH, unstorableText } from '../domain/storable.ts';
import { invalidRequest } from './errors.ts';

/** Field names in the style of validation errors: `path.directory`, `query.limit`, `users[0].attributes.x`. */
function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The first problem in `value` (walked breadth-first, iteratively), or undefined. */
export function inputProblem(value: unknown, root: string): FieldProblem | undefined {
  const queue: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  for (let i = 0; i < queue.length; i += 1) {
    const { value: current, path, depth } = queue[i]!;
    if (typeof current === 'string') {
      const reason = unstorableText(current);
      if (reason) return { field: path || '(body)', message: reason };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= INPUT_MAX_DEPTH) return { field: path || '(body)', message: `nests deeper than ${INPUT_MAX_DEPTH} levels` };
    if (Array.isArray(current)) {
      current.forEach((item, index) => queue.push({ value: item, path: child(path, index), depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const reason = unstorableText(key);
      if (reason) return { field: child(path, JSON.stringify(key)), message: `has a key that ${reason}` };
      queue.push({ value: item, path: child(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

export function useInputGuard(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    if (request.is404) return; // no route: the dialect's 404 says so, whatever the input
    // A body taken as a raw stream (an import upload) is checked by its reader, row by row.
    const body = request.body instanceof Readable ? undefined : request.body;
    const problem = inputProblem(request.params, 'path') ?? inputProblem(request.query, 'query') ?? inputProblem(body, '');
    if (problem) throw invalidRequest([problem]);
  });
}
