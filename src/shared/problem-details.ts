// RFC 9457 problem details: the REST API writes them, its clients (the CLI and the browser UI)
// read them. No imports but types, so that the UI's build takes this file as it is.
import type { FieldProblem } from './errors.ts';

/** The media type of every error answer of the REST API. */
export const PROBLEM_JSON = 'application/problem+json';

/** An RFC 9457 problem document, as the REST API answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: readonly FieldProblem[];
}

/** An error answer as a client reads it: a server may send any part malformed, or none. */
export interface ReceivedProblem {
  readonly status: number;
  /** The `detail`, else the `title`, when the body has one as text. */
  readonly message: string | undefined;
  /** The entries of `errors[]` that have a text `pointer` and `detail`; the others are dropped. */
  readonly fields: readonly FieldProblem[];
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** What a client can use of an error answer's parsed body (anything JSON, or null). */
export function parseProblem(status: number, body: unknown): ReceivedProblem {
  const { detail, title, errors } = (body ?? {}) as {
    detail?: unknown;
    title?: unknown;
    errors?: unknown;
  };
  const fields = Array.isArray(errors)
    ? errors.flatMap((e: unknown) => {
        const { pointer, detail } = (e ?? {}) as { pointer?: unknown; detail?: unknown };
        return typeof pointer === 'string' && typeof detail === 'string'
          ? [{ pointer, detail }]
          : [];
      })
    : [];
  return { status, message: text(detail) ?? text(title), fields };
}

/** True when `contentType` names problem+json, whatever its parameters or letter case. */
export function isProblemJson(contentType: string | null): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === PROBLEM_JSON;
}

/**
 * Reads an error answer. Only a problem+json body is read for a message: any other body (an HTML
 * page of a proxy, or JSON that only looks like a problem, such as an album whose `title` would
 * pass for one) is discarded unread and gives only the status.
 */
export async function readProblem(res: Response): Promise<ReceivedProblem> {
  if (!isProblemJson(res.headers.get('content-type'))) {
    await res.body?.cancel().catch(() => {});
    return parseProblem(res.status, null);
  }
  const body: unknown = await res.json().catch(() => null);
  return parseProblem(res.status, body);
}
