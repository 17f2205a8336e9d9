/**
 * Album events as the catalogue sees them, whichever Kafka client carried them: the shapes the
 * processing and the intake are written against, and that each client adapter converts to.
 */

/** One consumed record. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** Record timestamp in epoch milliseconds (CreateTime unless the topic says LogAppendTime). */
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * A record to publish; the key routes all events of one album to one partition. Bytes stay bytes
 * (a dead letter keeps a binary key exactly), and a null value is a tombstone or a null kept.
 */
export interface OutgoingMessage {
  readonly key: string | Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Handles one batch of records. Offsets are committed only after it resolved; a rejection means
 * give up (retries happen inside), and stops the consumer with that error.
 */
export type BatchHandler = (batch: readonly ConsumedMessage[]) => Promise<void>;
