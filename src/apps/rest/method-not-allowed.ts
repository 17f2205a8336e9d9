import type { FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.ts';

/** The methods a 405 is answered for; OPTIONS stays CORS's (preflights) or a 404. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** A URL's methods that are not routes of their own, and what it allows. */
export interface MissingMethods {
  readonly url: string;
  readonly methods: HTTPMethods[];
  /** The `Allow` header's value. */
  readonly allow: string;
}

/**
 * The routes' methods per URL, for 405 with `Allow` on a known URL asked with a method it lacks
 * (RFC 9110 15.5.6), instead of a 404 that would tell the client the URL is wrong. Fastify's
 * router matches a method first, so the missing methods become routes of their own, matched by
 * the router itself (parameters, wildcards) rather than by a second matcher. `onRoute` must see
 * every route before `missing()` is read.
 */
export class MethodTable {
  private readonly urls = new Set<string>();

  readonly onRoute = (route: RouteOptions): void => {
    this.urls.add(route.url);
  };

  /**
   * Each URL's methods that no route has, by the router's own account (`has`): onRoute's view of
   * a URL can differ from the router's, as with a plugin's prefix and trailing slash.
   */
  missing(has: (url: string, method: HTTPMethods) => boolean): MissingMethods[] {
    return [...this.urls].flatMap((url) => {
      const allowed = METHODS.filter((m) => has(url, m));
      const missing = METHODS.filter((m) => !allowed.includes(m));
      return allowed.length === 0 || missing.length === 0
        ? []
        : [{ url, methods: missing, allow: allowed.join(', ') }];
    });
  }
}

/**
 * The onRequest hook of a 405 route: refused on arrival, so a body is never parsed (no 413 or
 * 415 in place of the 405). The error handler keeps the `Allow` header set here.
 */
export function refuseMethod(allow: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', allow);
    throw new AppError(
      ErrorCode.MethodNotAllowed,
      `${request.method} is not allowed here; use ${allow}`,
    );
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks the 405 routes, which OpenAPI and the route listing of tests leave out. */
    refusedMethods?: boolean;
  }
}
