import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
import { contextFrom, startSpan, withActiveSpan } from '../../shared/tracing.ts';

/** The request id of a span, so a trace is found from the id a 202 or a log line gives. */
export const ATTR_REQUEST_ID = 'music.request_id';

/**
 * A server span for every request, in the HTTP conventions: a child of the caller's
 * `traceparent` when it sent one, named by method and route, active while the handler runs (so a
 * publish made there is its child), ended with the status once the answer went out. The hooks
 * are added only while tracing is on, so a process without it pays for none of this.
 */
export function requestSpans() {
  const spans = new WeakMap<FastifyRequest, Span>();

  /** Ends the request's span, once. */
  const end = (request: FastifyRequest): Span | undefined => {
    const span = spans.get(request);
    spans.delete(request);
    return span;
  };

  return {
    onRequest(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      const route = request.routeOptions.url;
      const span = startSpan({
        name: route === undefined ? request.method : `${request.method} ${route}`,
        kind: SpanKind.SERVER,
        parent: contextFrom(request.headers),
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: request.url.split('?', 1)[0] as string,
          [ATTR_URL_SCHEME]: request.protocol,
          [ATTR_REQUEST_ID]: request.id,
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
        },
      });
      if (span) spans.set(request, span);
      done();
    },

    /** The handler runs after the body was read, in the socket's context: given the span's. */
    onRoute(route: RouteOptions): void {
      const handler = route.handler as (...args: unknown[]) => unknown;
      route.handler = function (this: unknown, request: FastifyRequest, reply: FastifyReply) {
        const span = spans.get(request);
        return span
          ? withActiveSpan(span, handler, this, request, reply)
          : handler.call(this, request, reply);
      } as RouteHandlerMethod;
    },

    onResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      const span = end(request);
      if (span) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      done();
    },

    onRequestAbort(request: FastifyRequest, done: HookHandlerDoneFunction) {
      const span = end(request);
      if (span) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the request' });
        span.end();
      }
      done();
    },
  };
}
