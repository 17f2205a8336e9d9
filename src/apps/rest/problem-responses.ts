import { Type } from '@sinclair/typebox';
import type { AppError } from '../../shared/errors.ts';
import { PROBLEM_JSON } from '../../shared/problem-details.ts';
import { problemOf } from './problem.ts';
import { ProblemSchema } from './schemas.ts';

/**
 * A route's error answer for the response schema: problem+json, with an example made by the
 * same code that answers real errors, so the documentation cannot drift from what clients get.
 */
export function problemResponse(description: string, example: AppError, instance: string) {
  return {
    description,
    content: {
      [PROBLEM_JSON]: {
        // By reference: OpenAPI shows one named Problem schema (the app adds it, see app.ts).
        schema: Type.Ref(ProblemSchema),
        examples: {
          [example.code]: { summary: example.message, value: problemOf(example, instance) },
        },
      },
    },
  };
}
