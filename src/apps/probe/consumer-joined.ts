import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { kafkaConnectionOf } from '../../adapters/kafka/connection.ts';
import { createGroupProbe } from '../../adapters/kafka/group-probe.ts';
import type { Check } from './check.ts';

/** Every address of this host's interfaces, loopback included. */
function ownAddresses(): BlockList {
  const own = new BlockList();
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? [])
      own.addAddress(a.address, a.family === 'IPv6' ? 'ipv6' : 'ipv4');
  }
  return own;
}

/**
 * A consumer of this host is a member of the consumer group, as the broker sees it. The broker
 * knows members by the address they connected from, which in a container or pod is its own.
 */
export const consumerJoined: Check = async (config, signal) => {
  const probe = createGroupProbe(kafkaConnectionOf(config), `${config.KAFKA_CLIENT_ID}-probe`);
  const close = () => void probe.close();
  signal.addEventListener('abort', close, { once: true });
  try {
    const group = await probe.describe(config.KAFKA_GROUP_ID);
    const own = ownAddresses();
    const joined = group.hosts.some((h) => {
      const family = isIP(h);
      return family !== 0 && own.check(h, family === 6 ? 'ipv6' : 'ipv4');
    });
    const where = `group ${config.KAFKA_GROUP_ID} (${group.state}, ${group.members} member(s))`;
    return {
      ok: joined,
      detail: joined
        ? `this host is a member of ${where}`
        : `no member of ${where} is on this host`,
    };
  } finally {
    signal.removeEventListener('abort', close);
    await probe.close();
  }
};
