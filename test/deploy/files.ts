// Readers of the deployment files for the static tests: YAML (with the `yaml` package), image
// references, the commands our image runs, and the Dockerfile's stages. Nothing here needs
// Docker; kustomize.ts renders the Kubernetes manifests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEPLOY = join(ROOT, 'deploy');
export const K8S = join(DEPLOY, 'k8s');
/** The init script of the postgres image that makes the runtime roles, before the migrations. */
export const ROLES_SCRIPT = '000_roles.sh';

/** package.json: the image tag follows its version, the Node base image its `node` dependency. */
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

/** One YAML document, with `<<` merge keys resolved as Docker Compose resolves them. */
export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as T;
}

/** The documents of a YAML stream (empty ones left out); `where` names it when it is invalid. */
export function yamlDocuments<T>(text: string, where: string): T[] {
  return parseAllDocuments(text).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], `${where}: YAML errors`);
    const value = doc.toJS() as T | null;
    return value === null ? [] : [value];
  });
}

/** `name:tag` split; a digest-only or untagged reference has no tag. */
export function imageTag(image: string): { name: string; tag: string | null } {
  const at = image.lastIndexOf(':');
  if (at <= image.lastIndexOf('/')) return { name: image, tag: null };
  return { name: image.slice(0, at), tag: image.slice(at + 1) };
}

/** Fails unless the image names a tag that cannot move to another major release. */
export function assertPinned(image: string, where: string): void {
  const { tag } = imageTag(image);
  assert.ok(tag, `${where}: ${image} has no tag`);
  assert.notEqual(tag, 'latest', `${where}: ${image} is not pinned`);
  assert.match(tag, /^\d/, `${where}: ${image} should be pinned to a version`);
}

/**
 * What a command of our image runs: `rest`, `grpc` or `consumer <client>`, from its entry file
 * (src/apps/<app>/main.ts) and, for consumers, the --client it is given.
 */
export function roleOfCommand(argv: readonly string[]): string {
  const [node, entry, ...rest] = argv;
  assert.equal(node, 'node', `${argv.join(' ')}: runs the sources with the image's node`);
  const app = /^src\/apps\/(\w+)\/main\.ts$/.exec(entry ?? '')?.[1] ?? `unknown ${entry}`;
  return app === 'consumer' ? `consumer ${rest[rest.indexOf('--client') + 1]}` : app;
}

// --- Dockerfile ---------------------------------------------------------------------------

export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: Record<string, string>;
  readonly stages: readonly Stage[];
}

/** The instructions of a Dockerfile, continuation lines joined and comments dropped. */
export function readDockerfile(path: string): Dockerfile {
  const lines = readFileSync(path, 'utf8').split('\n');
  const joined: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    joined.push((current + line).trim());
    current = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: { base: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const text of joined.filter((l) => l !== '')) {
    const space = text.indexOf(' ');
    const op = text.slice(0, space).toUpperCase();
    const args = text.slice(space + 1).trim();
    if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(m?.[1], `FROM ${args}`);
      stages.push({ base: m[1], name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (op === 'ARG') {
        const [key = '', value = ''] = args.split('=');
        globalArgs[key] = value;
      }
    } else {
      stages.at(-1)?.instructions.push({ op, args });
    }
  }
  return { globalArgs, stages };
}

/** `${NAME}` and `$NAME` replaced by the ARG defaults. */
export function expandArgs(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const key = a ?? b ?? '';
    return args[key] ?? '';
  });
}
