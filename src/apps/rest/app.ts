import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fastifyCompress from '@fastify/compress';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type HTTPMethods, type RouteOptions } from 'fastify';
import { createMetricsRegistry, type Registry } from '../../adapters/metrics/registry.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import type { LogSamplerOptions } from '../../shared/log-sampler.ts';
import type { Logger } from '../../shared/logger.ts';
import { tracingOn } from '../../shared/tracing.ts';
import { AccessLog, clip } from './access-log.ts';
import { answerClientError } from './client-error.ts';
import {
  corsOptions,
  docsCsp,
  type HttpSecurity,
  rateLimitOptions,
  securityHeaders,
} from './http-security.ts';
import { strictUtf8Json } from './json-body.ts';
import { MethodTable, refuseMethod } from './method-not-allowed.ts';
import { httpMetrics } from './metrics/http-metrics.ts';
import { openapiDocumentSchema, swaggerOptions } from './openapi.ts';
import { sendProblem } from './problem.ts';
import { REJECTION_SAMPLING, RejectionLog } from './rejection-log.ts';
import { requestSpans } from './request-spans.ts';
import { albumDeleteRoutes } from './routes/album-deletes.ts';
import { type AlbumEventDeps, albumEventRoutes } from './routes/album-events.ts';
import { type AlbumReadDeps, albumReadRoutes } from './routes/album-reads.ts';
import { type AlbumWriteDeps, albumWriteRoutes } from './routes/album-writes.ts';
import { type HealthDeps, healthRoutes } from './routes/health.ts';
import { ProblemSchema } from './schemas.ts';
import { uiStaticOptions } from './static-ui.ts';
import { StoredWatch } from './stored-watch.ts';
import { compileValidator } from './validation.ts';

export interface RestDeps extends AlbumWriteDeps, AlbumReadDeps, AlbumEventDeps, HealthDeps {
  readonly log: Logger;
  /** The built UI to serve at `/`, when there is one. */
  readonly uiDir?: string | undefined;
  /**
   * The registry the HTTP metrics count into, which the composition root also hands to the
   * publisher, the database calls and the cluster gauges, and serves on the metrics port (never
   * on this app's port); a fresh one when absent.
   */
  readonly metrics?: Registry | undefined;
  /** Told of every route as it is added, e.g. to check that each one is documented. */
  readonly onRoute?: ((route: RouteOptions) => void) | undefined;
  /** Rate limit and CORS; without it, no rate limit and same-origin only. */
  readonly security?: HttpSecurity | undefined;
  /** How many rejections of a kind are logged in full per window; REJECTION_SAMPLING when absent. */
  readonly rejectionSampling?: LogSamplerOptions | undefined;
}

/**
 * Server timeouts. A request must arrive whole within 30 s (slow senders cannot hold sockets),
 * a socket with no traffic either way for 60 s is closed (the event stream sends a heartbeat
 * every 15 s, so only stalled readers go), and an idle keep-alive connection lasts 72 s, longer
 * than the 60 s idle timeout of common load balancers so that they close first.
 */
export const HTTP_TIMEOUTS = {
  requestTimeout: 30_000,
  connectionTimeout: 60_000,
  keepAliveTimeout: 72_000,
} as const;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The REST API, wired in one place: error handlers, plugins, then routes. */
export async function buildRestApp(deps: RestDeps) {
  const rejections = new RejectionLog(deps.log, deps.rejectionSampling ?? REJECTION_SAMPLING);
  const app = Fastify({
    loggerInstance: deps.log,
    logController: new AccessLog(rejections),
    bodyLimit: 1024 * 1024,
    // A client's request id is kept when it is sane, so it can follow the album into Kafka.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ...HTTP_TIMEOUTS,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onClose', async () => rejections.close());
  const { onRoute } = deps;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));
  const methods = new MethodTable();
  app.addHook('onRoute', methods.onRoute);
  if (tracingOn()) {
    // Before any route, whose handler it wraps.
    const spans = requestSpans();
    app.addHook('onRequest', spans.onRequest);
    app.addHook('onRoute', spans.onRoute);
    app.addHook('onResponse', spans.onResponse);
    app.addHook('onRequestAbort', spans.onRequestAbort);
  }
  const metrics = deps.metrics ?? createMetricsRegistry();

  // Bodies are JSON only: Fastify's built-in text/plain parser would hand a string to the schema
  // and turn a wrong content type into a 400 instead of a 415.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    strictUtf8Json((request, text, done) => parseJson(request, text, done)),
  );
  app.setValidatorCompiler(compileValidator);
  // Shared by every error answer's schema (problemResponse), by reference.
  app.addSchema(ProblemSchema);
  // Set before any plugin is registered: Fastify gives each plugin the handlers of its parent.
  app.setErrorHandler((err, request, reply) => sendProblem(err, request, reply, rejections));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new AppError(ErrorCode.NotFound, `No route for ${request.method} ${clip(request.url)}`),
      request,
      reply,
      rejections,
    ),
  );
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', httpMetrics(metrics));

  // Before any route, so that each route gets the headers and the limit.
  app.addHook('onRequest', securityHeaders());
  const security = deps.security;
  if (security && security.corsOrigins.length > 0) {
    await app.register(fastifyCors, corsOptions(security.corsOrigins));
  }
  if (security && security.rateLimitMax > 0) {
    await app.register(fastifyRateLimit, rateLimitOptions(security));
  }

  // Before the routes, which it hooks as they are added. Answers of 1 KiB or more, brotli or
  // gzip as the client accepts (brotli at quality 4: 11 costs more CPU than it saves bytes on
  // answers made per request); the event stream is written past it (hijacked) and never
  // buffered. ETags are computed on the uncompressed body first (etag.ts), so they stay weak.
  await app.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'] });
  await app.register(fastifySwagger, swaggerOptions);
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', transformStaticCSP: docsCsp });

  const events = deps.events;
  const stored = events
    ? new StoredWatch({ listen: events, get: (id) => deps.albums.get(id) }, deps.log)
    : undefined;
  // preClose: waiting writes answer 202 before the server waits for them to end.
  if (stored) app.addHook('preClose', () => stored.close());
  await app.register(albumWriteRoutes, {
    intake: deps.intake,
    idempotencyKeys: deps.idempotencyKeys,
    stored,
  });
  await app.register(albumDeleteRoutes, { intake: deps.intake });
  await app.register(albumReadRoutes, { albums: deps.albums, answers: deps.answers });
  await app.register(albumEventRoutes, { events: deps.events });
  await app.register(healthRoutes, { readiness: deps.readiness });
  app.get('/openapi.json', { schema: openapiDocumentSchema }, async () => app.swagger());

  if (deps.uiDir && existsSync(deps.uiDir)) {
    await app.register(fastifyStatic, uiStaticOptions(deps.uiDir));
  }
  // Last: every route is known by now. Hidden: they are the absence of an operation.
  const has = (url: string, method: HTTPMethods) => app.hasRoute({ url, method });
  for (const { url, methods: refused, allow } of methods.missing(has)) {
    app.route({
      method: refused,
      url,
      schema: { hide: true },
      config: { refusedMethods: true },
      onRequest: refuseMethod(allow),
      handler: async () => {
        throw new AppError(ErrorCode.Internal, 'a refused method reached its handler');
      },
    });
  }

  return app;
}

/** The REST API as built, e.g. for `app.inject` in tests. */
export type RestApp = Awaited<ReturnType<typeof buildRestApp>>;
