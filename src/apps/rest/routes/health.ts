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

/**
 * The example reports of the docs, with the checks readiness.ts makes: every check passing, or
 * the consumer group not formed.
 */
const exampleOf = (stable: boolean): Readiness => ({
  ready: stable,
  checks: {
    postgres: { ok: true, detail: 'answers' },
    kafka: { ok: true, detail: 'answers' },
    consumers: {
      ok: stable,
      detail: stable
        ? 'group music-albums is stable with 2 member(s)'
        : 'group music-albums is Empty with 0 member(s)',
    },
    progress: { ok: true, detail: 'no partition of music.albums stalled' },
  },
});

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
      summary:
        'Kafka and PostgreSQL answer, the consumers have joined their group, no partition stalled',
      response: {
        200: readinessOf('Ready: every check passed', exampleOf(true)),
        503: readinessOf('Not ready: the failing checks say why', exampleOf(false)),
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
