import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DeleteOutcome, HeldDeletes } from './held-deletes.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setUp(send = vi.fn(async (_ids: number[], _keepalive: boolean) => {})) {
  const outcomes: [number[], DeleteOutcome['kind']][] = [];
  const held = new HeldDeletes(send, (ids, outcome) => outcomes.push([ids, outcome.kind]), 5000);
  return { held, send, outcomes };
}

describe('HeldDeletes', () => {
  it('sends a delete once the undo time is up, not before', async () => {
    const { held, send, outcomes } = setUp();
    held.hold([1, 2]);
    await vi.advanceTimersByTimeAsync(4999);
    expect(send).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledWith([1, 2], false);
    expect(outcomes).toEqual([[[1, 2], 'sent']]);
  });

  it('sends nothing for an undone delete', async () => {
    const { held, send, outcomes } = setUp();
    const token = held.hold([3]);
    expect(held.undo(token)).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(send).not.toHaveBeenCalled();
    expect(outcomes).toEqual([[[3], 'undone']]);
    expect(held.undo(token)).toBe(false);
  });

  it('sends what it holds at once, with keepalive, when the page closes', async () => {
    const { held, send } = setUp();
    held.hold([4]);
    held.hold([5, 6]);
    held.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(send.mock.calls).toEqual([
      [[4], true],
      [[5, 6], true],
    ]);
    expect(held.size).toBe(0);
  });

  it('reports a delete the server refused', async () => {
    const { held, outcomes } = setUp(
      vi.fn(async () => {
        throw new Error('The server answered 503');
      }),
    );
    held.hold([7]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(outcomes).toEqual([[[7], 'failed']]);
  });
});
