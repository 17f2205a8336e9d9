import {
  create,
  createFileRegistry,
  type DescFile,
  type DescService,
  type FileRegistry,
  toBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';

/** A reflection request's `message_request`, shared by grpc.reflection.v1 and v1alpha. */
export type ReflectionQuery =
  | {
      case:
        | 'fileByFilename'
        | 'fileContainingSymbol'
        | 'allExtensionNumbersOfType'
        | 'listServices';
      value: string;
    }
  | {
      case: 'fileContainingExtension';
      value: { readonly containingType: string; readonly extensionNumber: number };
    }
  | { case: undefined; value?: undefined };

/** A reflection response's `message_response`, shared by both versions. */
export type ReflectionAnswer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: 'allExtensionNumbersResponse';
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

/** Answers one reflection stream's queries; one per stream, as it remembers the files it sent. */
export type ReflectionSession = (query: ReflectionQuery) => ReflectionAnswer;

const error = (code: Code, message: string): ReflectionAnswer => ({
  case: 'errorResponse',
  value: { errorCode: code, errorMessage: message },
});

/** The files of the services and everything they import, each after its imports. */
function filesOf(services: readonly DescService[]): DescFile[] {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    file.dependencies.forEach(visit);
    ordered.push(file);
  };
  for (const service of services) visit(service.file);
  return ordered;
}

/** The file that declares a symbol: a type or service, or a method, field or enum value. */
function fileDeclaring(registry: FileRegistry, symbol: string): DescFile | undefined {
  const type = registry.get(symbol);
  if (type) return type.file;
  const dot = symbol.lastIndexOf('.');
  const parent = dot > 0 ? registry.get(symbol.slice(0, dot)) : undefined;
  const member = symbol.slice(dot + 1);
  switch (parent?.kind) {
    case 'service':
      return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
    case 'message':
      return parent.fields.some((f) => f.name === member) ? parent.file : undefined;
    case 'enum':
      return parent.values.some((v) => v.name === member) ? parent.file : undefined;
    default:
      return undefined;
  }
}

/**
 * gRPC server reflection over the generated descriptors of the services a server serves
 * (`services` is read at the first query, once every route is registered).
 */
export function serverReflection(services: () => readonly DescService[]): () => ReflectionSession {
  let state: { names: string[]; registry: FileRegistry } | undefined;
  const load = () => {
    if (!state) {
      const served = services();
      state = {
        names: [...new Set(served.map((s) => s.typeName))].sort(),
        registry: createFileRegistry(
          create(FileDescriptorSetSchema, { file: filesOf(served).map((f) => f.proto) }),
        ),
      };
    }
    return state;
  };

  return () => {
    const sent = new Set<string>();
    // The file asked for, then its imports not yet sent on this stream (as grpc-go does).
    const withImports = (file: DescFile): ReflectionAnswer => {
      const encoded: Uint8Array[] = [];
      const queue = [file];
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (encoded.length === 0 || !sent.has(next.name)) {
          sent.add(next.name);
          encoded.push(toBinary(FileDescriptorProtoSchema, next.proto));
        }
        queue.push(...next.dependencies);
      }
      return { case: 'fileDescriptorResponse', value: { fileDescriptorProto: encoded } };
    };

    return (query) => {
      const { names, registry } = load();
      switch (query.case) {
        case 'listServices':
          return {
            case: 'listServicesResponse',
            value: { service: names.map((name) => ({ name })) },
          };
        case 'fileByFilename': {
          const file = registry.getFile(query.value);
          return file ? withImports(file) : error(Code.NotFound, `file ${query.value} not found`);
        }
        case 'fileContainingSymbol': {
          const file = fileDeclaring(registry, query.value);
          return file ? withImports(file) : error(Code.NotFound, `symbol ${query.value} not found`);
        }
        case 'fileContainingExtension': {
          const { containingType, extensionNumber } = query.value;
          const message = registry.getMessage(containingType);
          const extension = message && registry.getExtensionFor(message, extensionNumber);
          return extension
            ? withImports(extension.file)
            : error(Code.NotFound, `extension ${extensionNumber} of ${containingType} not found`);
        }
        case 'allExtensionNumbersOfType': {
          if (!registry.getMessage(query.value)) {
            return error(Code.NotFound, `type ${query.value} not found`);
          }
          const numbers: number[] = [];
          for (const type of registry) {
            if (type.kind === 'extension' && type.extendee.typeName === query.value) {
              numbers.push(type.number);
            }
          }
          return {
            case: 'allExtensionNumbersResponse',
            value: { baseTypeName: query.value, extensionNumber: numbers },
          };
        }
        default:
          return error(Code.InvalidArgument, 'the request sets no message_request');
      }
    };
  };
}
