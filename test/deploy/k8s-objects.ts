// Kubernetes objects as the deployment tests read them: only the fields they check are typed.

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
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
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
      listeners: {
        name: string;
        port: number;
        type: string;
        tls: boolean;
        authentication?: { type: string };
      }[];
      authorization?: { type: string; superUsers?: string[] };
      config?: Record<string, unknown>;
    };
    entityOperator?: { topicOperator?: object; userOperator?: object };
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

/** A Kafka login the User Operator keeps: its credential's Secret, its ACLs. */
export interface KafkaUser extends K8sObject {
  readonly spec: {
    authentication?: { type: string };
    authorization?: {
      type: string;
      acls: {
        type?: 'allow' | 'deny';
        resource: { type: string; name?: string; patternType?: string };
        operations: string[];
        host?: string;
      }[];
    };
  };
}

/** A ConfigMap, or a Secret (its `data` base64-encoded, as Kubernetes keeps it). */
export interface ConfigData extends K8sObject {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly type?: string;
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
}

/** The objects of one kind, typed as the tests read them. */
export function ofKind<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** What a ConfigMap or Secret holds, as the container reading it sees it (Secrets decoded). */
export function dataOf(o: ConfigData): Record<string, string> {
  if (o.kind === 'ConfigMap') return { ...o.data };
  const decoded = Object.entries(o.data ?? {}).map(([key, value]) => [
    key,
    Buffer.from(value, 'base64').toString('utf8'),
  ]);
  return { ...Object.fromEntries(decoded), ...o.stringData };
}
