// The PostgreSQL standby of the deployments, read statically (no Docker or cluster here): the
// Compose profile `ha` and the CloudNativePG Cluster of deploy/k8s/postgres-ha.yaml.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/shared/config.ts';
import { databaseHosts } from '../../src/shared/database-url.ts';
import { DATABASE_ROLES } from '../../src/shared/local-database.ts';
import { DEPLOY, K8S, ROOT, readYaml, yamlDocuments } from './files.ts';

interface Service {
  image?: string;
  profiles?: string[];
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = readYaml<{
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
}>(join(DEPLOY, 'compose.yaml'));
const primary = compose.services.postgres;
const standby = compose.services['postgres-standby'];
const header = readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8');
const commandOf = (s: Service | undefined) => [s?.command ?? []].flat().join('\n');

test('Compose: a streaming standby of postgres under the profile ha, from the same image', () => {
  assert.ok(primary && standby);
  assert.deepEqual(standby.profiles, ['ha']);
  assert.equal(standby.image, primary.image);
  assert.deepEqual(standby.depends_on, { postgres: { condition: 'service_healthy' } });
  assert.ok(standby.healthcheck, 'a health check');
  // Copied from the primary on its first start, into a volume of its own, then a hot standby.
  const script = commandOf(standby);
  assert.match(
    script,
    /pg_basebackup -d "host=postgres user=music application_name=music_standby"/,
  );
  assert.match(script, / -R\b/, 'it writes standby.signal and primary_conninfo');
  assert.match(script, /synchronous_standby_names=$/m, 'once promoted, it waits for nobody');
  assert.deepEqual(standby.volumes, ['postgres-standby-data:/var/lib/postgresql']);
  assert.ok('postgres-standby-data' in compose.volumes);
});

test('Compose: the primary lets the owner replicate and waits for the standby only when told', () => {
  const hba = compose.configs[primary?.configs?.[0]?.source ?? '']?.content ?? '';
  assert.match(hba, /^host\s+replication\s+music\s+all\s+scram-sha-256$/m);
  assert.doesNotMatch(
    hba,
    /\btrust$(?<=host\s+\S+\s+\S+\s+all\s+trust)/m,
    'no trust from the network',
  );
  const command = commandOf(primary);
  assert.match(command, /hba_file=\/etc\/music\/pg_hba\.conf/);
  // Unset without the profile: a named standby that never comes would hold every commit.
  assert.match(command, /synchronous_standby_names=\$\{MUSIC_PG_SYNC_STANDBY:-\}/);
  assert.match(header, /MUSIC_PG_SYNC_STANDBY=music_standby MUSIC_PG_READ_HOST=postgres-standby/);
});

test('Compose: the REST API reads from MUSIC_PG_READ_HOST, the primary unless the profile names the standby', () => {
  const env = compose.services.rest?.environment ?? {};
  assert.match(env.DATABASE_READ_URL ?? '', /@\$\{MUSIC_PG_READ_HOST:-postgres\}:5432\/music$/);
  // As Compose interpolates them, with the profile's host and a password.
  const resolved = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v
        .replace(/\$\{MUSIC_DB_\w+_PASSWORD[^}]*\}/g, 'pw')
        .replace(/\$\{MUSIC_PG_READ_HOST:-postgres\}/, 'postgres-standby'),
    ]),
  );
  const config = loadConfig(resolved);
  assert.deepEqual(databaseHosts(config.DATABASE_READ_URL), ['postgres-standby:5432']);
  assert.equal(databaseHosts(config.DATABASE_WRITE_URL)[0], 'postgres:5432');
});

interface CnpgCluster {
  apiVersion: string;
  kind: string;
  spec: {
    instances: number;
    postgresql: { synchronous: { method: string; number: number; dataDurability: string } };
    bootstrap: {
      initdb: {
        database: string;
        owner: string;
        postInitSQL: string[];
        postInitApplicationSQLRefs: { configMapRefs: { name: string; key: string }[] };
      };
    };
    managed: { roles: { name: string; login: boolean; superuser: boolean }[] };
  };
}

const [cluster] = yamlDocuments<CnpgCluster>(
  readFileSync(join(K8S, 'postgres-ha.yaml'), 'utf8'),
  'postgres-ha.yaml',
);

test('Kubernetes: a CloudNativePG Cluster of a primary and a synchronous standby', () => {
  assert.ok(cluster);
  assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
  assert.equal(cluster.kind, 'Cluster');
  assert.equal(cluster.spec.instances, 2);
  assert.deepEqual(cluster.spec.postgresql.synchronous, {
    method: 'any',
    number: 1,
    dataDurability: 'required',
  });
  // Optional: it needs the operator's CRDs, so the default kustomization leaves it out.
  const kustomization = readFileSync(join(K8S, 'kustomization.yaml'), 'utf8');
  assert.doesNotMatch(kustomization, /postgres-ha\.yaml/);
});

test('Kubernetes: the Cluster is initialised with every SQL migration in order, after the runtime roles', () => {
  assert.ok(cluster);
  const { initdb } = cluster.spec.bootstrap;
  assert.equal(initdb.database, 'music');
  assert.equal(initdb.owner, DATABASE_ROLES.owner);
  const sql = readdirSync(join(ROOT, 'db', 'migrations'))
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const refs = initdb.postInitApplicationSQLRefs.configMapRefs;
  assert.deepEqual(
    refs.map((r) => r.key),
    sql,
  );
  assert.ok(refs.every((r) => r.name === 'postgres-init'));
  for (const role of [DATABASE_ROLES.writer, DATABASE_ROLES.reader]) {
    assert.ok(
      initdb.postInitSQL.some((s) =>
        s.startsWith(`CREATE ROLE ${role} LOGIN NOCREATEDB NOSUPERUSER`),
      ),
      `${role} exists before 008 grants it rights`,
    );
    const managed: { login: boolean; superuser: boolean } | undefined =
      cluster.spec.managed.roles.find((r) => r.name === role);
    assert.equal(managed?.login, true);
    assert.equal(managed?.superuser, false);
  }
});
