import { createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from '../../gen/grpc/health/v1/health_pb.js';
import { type Check, reachable } from './check.ts';

/** The gRPC API reports SERVING on grpc.health.v1, as a Kubernetes `grpc` probe asks it. */
export const grpcServing: Check = async (config, signal) => {
  const baseUrl = `http://${reachable(config.GRPC_HOST)}:${config.GRPC_PORT}`;
  // A session of our own, closed at the end, so that nothing keeps the caller's process alive.
  const sessionManager = new Http2SessionManager(baseUrl);
  try {
    const health = createClient(Health, createGrpcTransport({ baseUrl, sessionManager }));
    const { status } = await health.check({ service: '' }, { signal });
    return { ok: status === Status.SERVING, detail: `${baseUrl} health is ${Status[status]}` };
  } finally {
    sessionManager.abort();
  }
};
