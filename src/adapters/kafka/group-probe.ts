import { Admin } from '@platformatic/kafka';

export interface GroupState {
  readonly state: string;
  readonly members: number;
}

/** Asks the cluster about a consumer group; answering at all also proves Kafka is reachable. */
export interface GroupProbe {
  describe(groupId: string): Promise<GroupState>;
  close(): Promise<void>;
}

export function createGroupProbe(
  brokers: readonly string[],
  clientId: string,
  timeoutMs = 3000,
): GroupProbe {
  const admin = new Admin({
    clientId,
    bootstrapBrokers: [...brokers],
    timeout: timeoutMs,
    retries: 0,
  });
  return {
    async describe(groupId) {
      const groups = await admin.describeGroups({ groups: [groupId] });
      const group = groups.get(groupId);
      return { state: String(group?.state ?? 'Unknown'), members: group?.members.size ?? 0 };
    },
    close: () => admin.close(),
  };
}
