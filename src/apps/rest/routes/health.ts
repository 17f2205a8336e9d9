import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail: string }>>;
}

export interface HealthDeps {
  readonly readiness: () => Promise<Readiness>;
}

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.String() });
const readinessOf = (description: string, example: Readiness) =>
  Type.Object(
    { ready: Type.Boolean(), checks: Type.Record(Type.String(), Check) },
    { description, examples: [example] },
  );

const ready: Readiness = {
  ready: true,
  checks: {
    postgres: { ok: true, detail: 'answers' },
    kafka: { ok: true, detail: 'answers' },
    consumers: { ok: true, detail: 'group music-albums is stable with 2 member(s)' },
  },
};
const notReady: Readiness = {
  ready: false,
  checks: {
    postgres: { ok: true, detail: 'answers' },
    kafka: { ok: true, detail: 'answers' },
    consumers: { ok: false, detail: 'group music-albums is Empty with 0 member(s)' },
  },
};

/** Liveness (the process answers) and readiness (its dependencies answer). */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthDeps> = async (app, { readiness }) => {
  app.get('/healthz', {
    schema: {
      tags: ['health'],
      summary: 'The process is alive',
      response: {
        200: Type.Object(
          { status: Type.Literal('ok') },
          { description: 'The process answers', examples: [{ status: 'ok' }] },
        ),
      },
    },
    logLevel: 'warn',
    // Probes must never be rate limited, or a busy client would get the process restarted.
    config: { rateLimit: false },
    handler: async () => ({ status: 'ok' as const }),
  });
  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Kafka and PostgreSQL answer and the consumers have joined their group',
      response: {
        200: readinessOf('Ready: every check passed', ready),
        503: readinessOf('Not ready: the failing checks say why', notReady),
      },
    },
    logLevel: 'warn',
    config: { rateLimit: false },
    handler: async (_request, reply) => {
      const report = await readiness();
      return reply.status(report.ready ? 200 : 503).send(report);
    },
  });
};
