import type { FastifyCorsOptions } from '@fastify/cors';
import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { AppError, ErrorCode } from '../../shared/errors.ts';

/** How the REST API defends itself at the HTTP layer; every part has a config variable. */
export interface HttpSecurity {
  /** Requests per window per client address; 0 turns the limit off. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** Clients on loopback (127.0.0.0/8, ::1) are not limited; false when absent. */
  readonly rateLimitExemptLoopback?: boolean;
  /** Origins whose pages may call the API from a browser; empty: same origin only. */
  readonly corsOrigins: readonly string[];
}

/**
 * Security headers, with a Content-Security-Policy that the UI in ui/dist and the Swagger UI at
 * /docs both work under: every script, style, font and request is the server's own, and
 * nothing is inline. No `upgrade-insecure-requests`: the service speaks plain HTTP itself, and
 * browsers would otherwise ask for its assets over HTTPS when reached by a host name.
 */
const helmetOptions: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
    },
  },
};

/**
 * The headers helmet sets with these options, found once by running its middleware against a
 * response that only records them: none of them depends on the request.
 */
function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(helmetOptions)(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    recorder as unknown as Parameters<ReturnType<typeof helmet>>[1],
    (err) => {
      failure = err;
    },
  );
  if (failure) throw failure;
  return headers;
}

/**
 * The `onRequest` hook that sets helmet's headers on every answer. They are computed once and
 * handed to Fastify as one object: @fastify/helmet builds the middleware anew for each request,
 * parsing the policy every time (a twelfth of a single-album POST's CPU), and even built once,
 * its chain of a dozen middlewares, each setting its header on the raw response, still cost the
 * API about 6% of its CPU per single POST.
 */
export function securityHeaders(): (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void {
  const headers = helmetHeaders();
  return (_request, reply, done) => {
    reply.headers(headers);
    done();
  };
}

/**
 * The policy of the Swagger UI at /docs: the same, but its bundle applies a few inline styles,
 * so those are allowed there (styles only; scripts stay the server's own).
 */
export const docsCsp = (policy: string): string =>
  policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

/** CORS for the listed origins only; the headers a cross-origin page needs to read are exposed. */
export function corsOptions(origins: readonly string[]): FastifyCorsOptions {
  return {
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    // What a page script reads of the answers: paging, totals, validators, read-your-writes.
    exposedHeaders: [
      'location',
      'link',
      'x-request-id',
      'retry-after',
      'x-total-count',
      'x-total-count-estimated',
      'etag',
      'preference-applied',
    ],
    maxAge: 600,
  };
}

/** Whether an address is this host's own: 127.0.0.0/8, ::1, or either mapped into IPv6. */
export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/** Rate limiting per client address, answered as a 429 problem with Retry-After. */
export function rateLimitOptions(s: HttpSecurity): RateLimitPluginOptions {
  return {
    max: s.rateLimitMax,
    timeWindow: s.rateLimitWindowMs,
    ...(s.rateLimitExemptLoopback
      ? { allowList: (request: FastifyRequest) => isLoopback(request.ip) }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        ErrorCode.RateLimited,
        `At most ${context.max} requests per ${s.rateLimitWindowMs / 1000} s; retry in ${context.after}`,
      ),
  };
}
