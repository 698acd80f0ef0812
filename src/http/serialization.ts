/**
 * Response serialisation for the bodies that carry one entry per batch item
 * (thousands of users in one response).
 *
 * Fastify serialises a route's responses with fast-json-stringify, compiled
 * from the response schema. For a 1000-user batch result (~470 kB) that
 * builds the body by string concatenation, and the string is flattened again
 * when its byte length is taken: measured 1.38 ms against 0.85 ms for V8's
 * JSON.stringify of the same body, whose result is one flat string; with the
 * flattening, about 2 ms of the server's ~27 ms of CPU per batch.
 *
 * Contract for a route that uses it: its renderers build the exact wire shape
 * (the schema's fields, nothing more), since nothing filters the objects any
 * more. The schemas still document the bodies (the OpenAPI document) and the
 * route's tests check that a served body is exactly what the schema's
 * serialiser makes of it.
 */
import type { FastifySerializerCompiler } from 'fastify';

export const plainJsonSerializer: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);
