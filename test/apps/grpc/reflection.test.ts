// Server reflection, as grpcurl and Postman use it: list the services, then fetch the file that
// defines one and every file it depends on, and read the methods out of the descriptors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as v1 from '../../../src/gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../../src/gen/grpc/reflection/v1alpha/reflection_pb.js';
import { testSql } from '../../support/stack.ts';
import { serverForFile } from './harness.ts';

const sql = testSql();
const server = serverForFile(sql);

type Request = v1.ServerReflectionRequest['messageRequest'];

/** Sends the requests on one v1 reflection stream and collects the answers in order. */
async function ask(requests: readonly Request[]): Promise<v1.ServerReflectionResponse[]> {
  const client = server().client(v1.ServerReflection);
  async function* send() {
    for (const messageRequest of requests) {
      yield create(v1.ServerReflectionRequestSchema, { host: 'localhost', messageRequest });
    }
  }
  const answers: v1.ServerReflectionResponse[] = [];
  for await (const answer of client.serverReflectionInfo(send())) answers.push(answer);
  return answers;
}

test('reflection lists every service the server answers, itself included', async () => {
  const [answer] = await ask([{ case: 'listServices', value: '' }]);
  assert.equal(answer?.messageResponse.case, 'listServicesResponse');
  const names =
    answer?.messageResponse.case === 'listServicesResponse'
      ? answer.messageResponse.value.service.map((s) => s.name).sort()
      : [];
  assert.deepEqual(names, [
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
    'service.MusicService',
  ]);
});

test('the file defining service.MusicService describes the original and the added methods', async () => {
  const [answer] = await ask([{ case: 'fileContainingSymbol', value: 'service.MusicService' }]);
  assert.equal(answer?.messageResponse.case, 'fileDescriptorResponse');
  const files =
    answer?.messageResponse.case === 'fileDescriptorResponse'
      ? answer.messageResponse.value.fileDescriptorProto.map((b) =>
          fromBinary(FileDescriptorProtoSchema, b),
        )
      : [];
  const music = files.find((f) => f.package === 'service');
  assert.ok(music, `a file of package service among ${files.map((f) => f.name).join(', ')}`);
  const service = music.service.find((s) => s.name === 'MusicService');
  assert.deepEqual(
    service?.method.map((m) => [m.name, m.inputType, m.outputType, m.serverStreaming === true]),
    [
      ['GetAlbumList', '.service.GetAlbumsRequest', '.service.GetAlbumsResponse', false],
      ['GetAlbum', '.service.GetAlbumRequest', '.service.Album', false],
      ['ListAlbums', '.service.ListAlbumsRequest', '.service.ListAlbumsResponse', false],
      ['StreamAlbums', '.service.StreamAlbumsRequest', '.service.StreamAlbumsResponse', true],
    ],
  );
  const album = music.messageType.find((m) => m.name === 'Album');
  assert.deepEqual(
    album?.field.slice(0, 4).map((f) => [f.name, f.number]),
    [
      ['id', 1],
      ['title', 2],
      ['artist', 3],
      ['price', 4],
    ],
    'the original wire contract',
  );
});

test('an unknown symbol is a NOT_FOUND error answer and the stream goes on', async () => {
  const answers = await ask([
    { case: 'fileContainingSymbol', value: 'service.NoSuchService' },
    { case: 'listServices', value: '' },
  ]);
  assert.equal(answers.length, 2);
  const [error, listing] = answers;
  assert.equal(error?.messageResponse.case, 'errorResponse');
  if (error?.messageResponse.case === 'errorResponse') {
    assert.equal(error.messageResponse.value.errorCode, 5, 'NOT_FOUND');
  }
  assert.equal(listing?.messageResponse.case, 'listServicesResponse');
});

test('the v1alpha name answers the same listing, for older tools', async () => {
  const client = server().client(v1alpha.ServerReflection);
  async function* send() {
    yield create(v1alpha.ServerReflectionRequestSchema, {
      messageRequest: { case: 'listServices', value: '' },
    });
  }
  const names: string[] = [];
  for await (const answer of client.serverReflectionInfo(send())) {
    if (answer.messageResponse.case === 'listServicesResponse') {
      names.push(...answer.messageResponse.value.service.map((s) => s.name));
    }
  }
  assert.ok(names.includes('service.MusicService'), names.join(', '));
});
