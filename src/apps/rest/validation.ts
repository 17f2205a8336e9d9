import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = {
  allErrors: true,
  useDefaults: true,
  strict: false,
};

/**
 * Whether `value` is written with no more decimals than `step` (0.01: at most two): it must be
 * the double nearest to a whole number of steps. Ajv's own multipleOf divides and allows an
 * error of 1e-9, which both lets 56.9900000000001 through and refuses 8492984.86 (whose
 * quotient is 849298485.99999999 at that magnitude).
 */
export function isExactMultiple(value: number, step: number): boolean {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return (
    Number.isFinite(value) && Number((Math.round(value / step) * step).toFixed(decimals)) === value
  );
}

function withExactMultipleOf(ajv: Ajv): Ajv {
  ajv.removeKeyword('multipleOf');
  ajv.addKeyword({
    keyword: 'multipleOf',
    type: 'number',
    schemaType: 'number',
    error: { message: ({ schemaCode }) => `must be multiple of ${schemaCode}` as never },
    validate: (step: number, value: number) => isExactMultiple(value, step),
  });
  return ajv;
}

// Bodies are taken as sent: no coercion ("42" is not a number) and no silent removal of
// unknown fields. Query strings and path parameters are text, so those are coerced.
const strict = withExactMultipleOf(
  new Ajv({ ...common, coerceTypes: false, removeAdditional: false }),
);
const coercing = withExactMultipleOf(
  new Ajv({ ...common, coerceTypes: true, removeAdditional: false }),
);

/** Fastify's validator compiler: strict for bodies, coercing for everything in the URL. */
export const compileValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >;
