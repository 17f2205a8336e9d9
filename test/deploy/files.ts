// Readers of the deployment files for the static tests: YAML as written, the kustomization as
// kustomize would assemble it (without kustomize), and the Dockerfile's stages. Nothing here
// needs Docker or kubectl.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEPLOY = join(ROOT, 'deploy');
export const K8S = join(DEPLOY, 'k8s');

/** package.json: the image tag follows its version, the Node base image its `node` dependency. */
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

/** One YAML document, with `<<` merge keys resolved as Docker Compose resolves them. */
export function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as T;
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

// --- Kubernetes ---------------------------------------------------------------------------

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly spec?: unknown;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  grpc?: { port: number; service?: string };
  exec?: { command: string[] };
  tcpSocket?: { port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Workload extends K8sObject {
  readonly spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Container[];
        securityContext?: { runAsNonRoot?: boolean };
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}

export interface Service extends K8sObject {
  readonly spec: {
    selector: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}

export interface Kafka extends K8sObject {
  readonly spec: {
    kafka: {
      listeners: { name: string; port: number; type: string; tls: boolean }[];
      config?: Record<string, unknown>;
    };
    entityOperator?: { topicOperator?: object };
  };
}

export interface KafkaNodePool extends K8sObject {
  readonly spec: {
    replicas: number;
    roles: string[];
    storage: { type: string; volumes?: { type: string }[] };
  };
}

export interface KafkaTopic extends K8sObject {
  readonly spec: {
    topicName?: string;
    partitions: number;
    replicas: number;
    config?: Record<string, unknown>;
  };
}

/** The objects of one kind, typed as the tests read them. */
export function ofKind<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

export interface Generated {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly data: Record<string, string>;
  /** For file sources: the files, as written in the kustomization, resolved to paths. */
  readonly files: readonly string[];
}

export interface Kustomized {
  readonly namespace: string | undefined;
  readonly objects: readonly K8sObject[];
  readonly generated: readonly Generated[];
}

interface Generator {
  name: string;
  files?: string[];
  literals?: string[];
  envs?: string[];
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

function literal(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  assert.ok(eq > 0, `literal "${entry}" is not KEY=VALUE`);
  return [entry.slice(0, eq), entry.slice(eq + 1)];
}

/**
 * Assembles a kustomization the way `kubectl kustomize` does for what this project uses:
 * resources (files or directories with their own kustomization.yaml) and generators. Files a
 * generator reads must lie at or below its kustomization, as kustomize's load restrictor
 * demands; a missing file or a file outside fails here as it would there.
 */
export function kustomize(dir: string): Kustomized {
  const file = join(dir, 'kustomization.yaml');
  assert.ok(existsSync(file), `${relative(ROOT, dir)} has no kustomization.yaml`);
  const k = readYaml<Kustomization>(file);
  const objects: K8sObject[] = [];
  const generated: Generated[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    assert.ok(existsSync(path), `${relative(ROOT, file)}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      const sub = kustomize(path);
      objects.push(...sub.objects);
      generated.push(...sub.generated);
    } else {
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        assert.deepEqual(doc.errors, [], `${entry}: YAML errors`);
        const object = doc.toJS() as K8sObject | null;
        if (object) objects.push(object);
      }
    }
  }
  const generate = (kind: Generated['kind'], g: Generator): Generated => {
    const data: Record<string, string> = {};
    const files: string[] = [];
    for (const f of g.files ?? []) {
      const path = resolve(dir, f);
      const rel = relative(dir, path);
      assert.ok(
        !rel.startsWith('..') && !isAbsolute(rel),
        `${relative(ROOT, file)}: ${f} is outside the kustomization root, which kustomize refuses`,
      );
      assert.ok(existsSync(path), `${relative(ROOT, file)}: ${f} does not exist`);
      files.push(path);
      data[path.slice(path.lastIndexOf('/') + 1)] = readFileSync(path, 'utf8');
    }
    for (const l of g.literals ?? []) {
      const [key, value] = literal(l);
      data[key] = value;
    }
    assert.equal(g.envs, undefined, 'env-file generators are not read by these tests');
    return { kind, name: g.name, data, files };
  };
  for (const g of k.configMapGenerator ?? []) generated.push(generate('ConfigMap', g));
  for (const g of k.secretGenerator ?? []) generated.push(generate('Secret', g));
  return { namespace: k.namespace, objects, generated };
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
