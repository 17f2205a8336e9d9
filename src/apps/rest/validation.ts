import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = {
  allErrors: true,
  useDefaults: true,
  strict: false,
};

// Bodies are taken as sent: no coercion ("42" is not a number) and no silent removal of
// unknown fields. Query strings and path parameters are text, so those are coerced.
// Defaults fill what a body leaves out (an absent price is 0, as in protobuf's JSON mapping).
const strict = new Ajv({ ...common, coerceTypes: false, removeAdditional: false });
const coercing = new Ajv({ ...common, coerceTypes: true, removeAdditional: false });

/** Fastify's validator compiler: strict for bodies, coercing for everything in the URL. */
export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >;
