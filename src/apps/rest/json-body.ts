import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.ts';

type Done = (err: Error | null, body?: unknown) => void;
/** A body parser in Fastify's callback style, such as its own JSON parser. */
export type BodyParser<Body> = (request: FastifyRequest, body: Body, done: Done) => void;

// fatal: a byte sequence that is not UTF-8 throws, instead of turning into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/**
 * Wraps Fastify's JSON parser (which keeps its guard against `__proto__` keys) so that a body is
 * decoded as strict UTF-8 first. Fastify's own decoding replaces bad bytes with U+FFFD, which
 * would store text the client never sent; JSON is UTF-8 (RFC 8259), so another charset is 415.
 */
export function strictUtf8Json(parse: BodyParser<string>): BodyParser<Buffer> {
  return (request, body, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(new AppError(ErrorCode.UnsupportedMediaType, 'Send the body as JSON in UTF-8'));
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body);
    } catch (err) {
      done(new AppError(ErrorCode.InvalidArgument, 'The body is not valid UTF-8', { cause: err }));
      return;
    }
    parse(request, text, done);
  };
}
