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

/**
 * The first problem in `value` (walked breadth-first, iteratively), or undefined.
 * A batch body has thousands of values: the walk keeps each one's parent and
 * key in flat arrays and spells a field's path only for the value at fault.
 */
export function inputProblem(value: unknown, root: string): FieldProblem | undefined {
  const values: unknown[] = [value];
  const parents: number[] = [-1];
  const keys: (string | number)[] = [''];
  const depths: number[] = [0];
  // Recursive, but only as deep as the value at fault: at most INPUT_MAX_DEPTH + 1.
  const pathOf = (at: number): string => (at === 0 ? root : child(pathOf(parents[at]!), keys[at]!));
  for (let i = 0; i < values.length; i += 1) {
    const current = values[i];
    if (typeof current === 'string') {
      const reason = unstorableText(current);
      if (reason) return { field: pathOf(i) || '(body)', message: reason };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = depths[i]!;
    if (depth >= INPUT_MAX_DEPTH) return { field: pathOf(i) || '(body)', message: `nests deeper than ${INPUT_MAX_DEPTH} levels` };
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index += 1) {
        values.push(current[index]);
        parents.push(i);
        keys.push(index);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in current) {
      if (!Object.hasOwn(current, key)) continue;
      const reason = unstorableText(key);
      if (reason) return { field: child(pathOf(i), JSON.stringify(key)), message: `has a key that ${reason}` };
      values.push((current as Record<string, unknown>)[key]);
      parents.push(i);
      keys.push(key);
      depths.push(depth + 1);
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
