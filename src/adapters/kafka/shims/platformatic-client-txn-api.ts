import { kListApis, type Producer } from '@platformatic/kafka';

/** Kafka's AddPartitionsToTxn API key; versions 4 and up are the brokers' own (KIP-890). */
const ADD_PARTITIONS_TO_TXN = 'AddPartitionsToTxn';
const CLIENT_MAX_VERSION = 3;

/**
 * Keeps a transactional producer on the clients' AddPartitionsToTxn (version 3 at most).
 * @platformatic/kafka uses the highest version the broker lists, 5, which Kafka reserves for
 * brokers: with an authorizer it demands CLUSTER_ACTION, a broker's own right, and refuses
 * every other principal. Version 3's request takes the same arguments (the first transaction).
 */
export function useClientTxnApi(producer: Producer): void {
  const list = producer[kListApis].bind(producer);
  producer[kListApis] = (callback) =>
    list((error, apis) => {
      if (error) {
        callback(error, apis);
        return;
      }
      callback(
        null,
        (apis ?? []).map((api) =>
          api.name === ADD_PARTITIONS_TO_TXN && api.maxVersion > CLIENT_MAX_VERSION
            ? { ...api, maxVersion: CLIENT_MAX_VERSION }
            : api,
        ),
      );
    });
}
