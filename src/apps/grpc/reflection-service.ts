import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import * as v1 from '../../gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';
import type { ReflectionAnswer, ReflectionQuery, ReflectionSession } from './reflection.ts';

// The two versions are the same protocol under two package names: older tools ask only for
// v1alpha, newer ones try v1 first and fall back to it.

/** One answer per request, in order, each made into the version's response by `respond`. */
async function* answerEach<Request extends { host: string; messageRequest: ReflectionQuery }, R>(
  requests: AsyncIterable<Request>,
  session: () => ReflectionSession,
  respond: (init: {
    validHost: string;
    originalRequest: Request;
    messageResponse: ReflectionAnswer;
  }) => R,
): AsyncGenerator<R> {
  const answer = session();
  for await (const request of requests) {
    yield respond({
      validHost: request.host,
      originalRequest: request,
      messageResponse: answer(request.messageRequest),
    });
  }
}

/** grpc.reflection.v1.ServerReflection. */
export function reflectionV1(
  session: () => ReflectionSession,
): ServiceImpl<typeof v1.ServerReflection> {
  return {
    serverReflectionInfo: (requests) =>
      answerEach(requests, session, (init) => create(v1.ServerReflectionResponseSchema, init)),
  };
}

/** grpc.reflection.v1alpha.ServerReflection, the deprecated name of the same protocol. */
export function reflectionV1alpha(
  session: () => ReflectionSession,
): ServiceImpl<typeof v1alpha.ServerReflection> {
  return {
    serverReflectionInfo: (requests) =>
      answerEach(requests, session, (init) => create(v1alpha.ServerReflectionResponseSchema, init)),
  };
}
