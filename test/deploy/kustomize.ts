// A kustomization rendered as `kubectl apply -k` would apply it: by `kubectl kustomize` where
// kubectl is installed, else assembled here from the files, for what this project uses of
// kustomize. k8s.test.ts checks that the two agree wherever kubectl is there to compare.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { ROOT, readYaml, yamlDocuments } from './files.ts';
import { type ConfigData, dataOf, type K8sObject, ofKind } from './k8s-objects.ts';

export interface Rendered {
  readonly objects: readonly K8sObject[];
  /** kubectl, or these tests where kubectl is not installed. */
  readonly by: 'kubectl' | 'assembled';
}

/** The objects `kubectl kustomize dir` renders, or undefined where there is no kubectl. */
export function kubectlKustomize(dir: string): K8sObject[] | undefined {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  assert.ifError(run.error);
  assert.equal(run.status, 0, `kubectl kustomize ${relative(ROOT, dir)}: ${run.stderr}`);
  return yamlDocuments<K8sObject>(run.stdout, `kubectl kustomize ${relative(ROOT, dir)}`);
}

/** The kustomization in `dir`, rendered by kubectl if it is installed, else assembled here. */
export function kustomize(dir: string): Rendered {
  const objects = kubectlKustomize(dir);
  return objects ? { objects, by: 'kubectl' } : { objects: assemble(dir), by: 'assembled' };
}

interface Generator {
  name: string;
  files?: string[];
  literals?: string[];
}

interface Kustomization {
  namespace?: string;
  labels?: {
    pairs: Record<string, string>;
    includeSelectors?: boolean;
    includeTemplates?: boolean;
  }[];
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

/** The fields `assemble` knows how to apply; any other fails rather than being ignored. */
const ASSEMBLED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'labels',
  'resources',
  'configMapGenerator',
  'secretGenerator',
]);

/** Kinds kustomize leaves without a namespace. */
const CLUSTER_SCOPED = new Set(['Namespace']);

/**
 * The kustomization in `dir` assembled as kustomize does for what this project uses: resources
 * (files, or directories with their own kustomization.yaml), generators, namespace and labels.
 * Generated names keep no hash suffix. Files a generator reads must lie at or below its
 * kustomization, as kustomize's load restrictor demands.
 */
export function assemble(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const where = relative(ROOT, file);
  assert.ok(existsSync(file), `${relative(ROOT, dir)} has no kustomization.yaml`);
  const k = readYaml<Kustomization>(file);
  for (const key of Object.keys(k)) assert.ok(ASSEMBLED.has(key), `${where}: ${key} is not read`);
  const objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    assert.ok(existsSync(path), `${where}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) objects.push(...assemble(path));
    else objects.push(...yamlDocuments<K8sObject>(readFileSync(path, 'utf8'), entry));
  }
  const generate = (g: Generator): Record<string, string> => {
    const data: Record<string, string> = {};
    for (const f of g.files ?? []) {
      const path = resolve(dir, f);
      const rel = relative(dir, path);
      assert.ok(
        !rel.startsWith('..') && !isAbsolute(rel),
        `${where}: ${f} is outside the kustomization root, which kustomize refuses`,
      );
      assert.ok(existsSync(path), `${where}: ${f} does not exist`);
      data[basename(path)] = readFileSync(path, 'utf8');
    }
    for (const l of g.literals ?? []) {
      const eq = l.indexOf('=');
      assert.ok(eq > 0, `${where}: literal "${l}" is not KEY=VALUE`);
      data[l.slice(0, eq)] = l.slice(eq + 1);
    }
    return data;
  };
  for (const g of k.configMapGenerator ?? []) {
    const configMap: ConfigData = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: g.name },
      data: generate(g),
    };
    objects.push(configMap);
  }
  for (const g of k.secretGenerator ?? []) {
    const encoded = Object.entries(generate(g)).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]);
    const secret: ConfigData = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: g.name },
      type: 'Opaque',
      data: Object.fromEntries(encoded),
    };
    objects.push(secret);
  }
  for (const l of k.labels ?? []) {
    const deep = l.includeSelectors || l.includeTemplates;
    assert.ok(!deep, `${where}: labels go on metadata only here, not selectors or templates`);
  }
  const labels = Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs));
  return objects.map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      ...(k.namespace && !CLUSTER_SCOPED.has(o.kind) ? { namespace: k.namespace } : {}),
      ...(k.labels ? { labels: { ...o.metadata.labels, ...labels } } : {}),
    },
  }));
}

/** The names of the ConfigMaps and Secrets among `objects`. */
export function configDataNames(objects: readonly K8sObject[]): Set<string> {
  const named = [...ofKind(objects, 'ConfigMap'), ...ofKind(objects, 'Secret')];
  return new Set(named.map((o) => o.metadata.name));
}

/**
 * Objects in one order, Secrets decoded, and the names kubectl gives generated ConfigMaps and
 * Secrets (`music-config-<hash>`) back to the generator's name wherever they stand: what a
 * rendering and an assembly (whose `generatedNames` have no hash) should agree on.
 */
export function comparable(
  objects: readonly K8sObject[],
  generatedNames: ReadonlySet<string>,
): K8sObject[] {
  const unhashed = new Map<string, string>();
  for (const { name } of objects.map((o) => o.metadata)) {
    const base = name.replace(/-[a-z0-9]{10}$/, '');
    if (base !== name && generatedNames.has(base)) unhashed.set(name, base);
  }
  const decoded = objects.map((o) =>
    o.kind === 'Secret' ? { ...o, data: dataOf(o as ConfigData) } : o,
  );
  const copy = JSON.parse(JSON.stringify(decoded), (_, v: unknown) =>
    typeof v === 'string' ? (unhashed.get(v) ?? v) : v,
  ) as K8sObject[];
  const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
  return copy.sort((x, y) => key(x).localeCompare(key(y)));
}
