// Albums stored by the consumers, as the REST API streams them (GET /api/v1/events).

export type LiveState = 'connecting' | 'live' | 'offline';

/** Subscribes to stored-album events; returns the unsubscribe function. */
export function subscribeStored(
  onIds: (ids: number[]) => void,
  onState: (state: LiveState, reconnected: boolean) => void,
): () => void {
  if (typeof EventSource === 'undefined') {
    onState('offline', false);
    return () => {};
  }
  const source = new EventSource('/api/v1/events');
  let opened = false;
  onState('connecting', false);
  source.addEventListener('open', () => {
    onState('live', opened);
    opened = true;
  });
  // EventSource reconnects by itself; until it does, the page may miss changes.
  source.addEventListener('error', () => onState('offline', false));
  source.addEventListener('stored', (event) => {
    try {
      const { ids } = JSON.parse((event as MessageEvent<string>).data) as { ids: unknown };
      if (Array.isArray(ids)) onIds(ids.filter((id): id is number => Number.isInteger(id)));
    } catch {}
  });
  return () => source.close();
}
