import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  type Health,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from '../../gen/grpc/health/v1/health_pb.js';

/** The services this server reports on; "" is the server as a whole. */
const SERVICES = ['', 'service.MusicService'];

/** grpc.health.v1.Health: SERVING only while the database answers. */
export function healthService(
  databaseAnswers: () => Promise<boolean>,
  pollMs = 1000,
): ServiceImpl<typeof Health> {
  const statusOf = async (service: string) => {
    if (!SERVICES.includes(service))
      throw new ConnectError(`unknown service ${service}`, Code.NotFound);
    return create(HealthCheckResponseSchema, {
      status: (await databaseAnswers()) ? Status.SERVING : Status.NOT_SERVING,
    });
  };
  return {
    check: (request) => statusOf(request.service),
    async list() {
      const status = await statusOf('');
      return create(HealthListResponseSchema, {
        statuses: Object.fromEntries(SERVICES.map((s) => [s, status])),
      });
    },
    // Sends the status now and again whenever it changes, until the client goes away.
    async *watch(request, context) {
      let last: Status | undefined;
      while (!context.signal.aborted) {
        const current = await statusOf(request.service);
        if (current.status !== last) {
          last = current.status;
          yield current;
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}
