import { InvalidArgumentError, Option } from 'commander';
import { AlbumLimits, isAlbumId } from '../../domain/album.ts';
import { checkPrice, PriceLimits } from '../../domain/price.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

function integer(value: string, min: number, max: number, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`must be ${what} from ${min} to ${max}`);
  }
  return n;
}

/**
 * An album id: any int32 but 0, negative ones included (domain/album.ts). Commander takes `-5`
 * as the value of `--id -5` and, in a command without subcommands, as an `<id>` argument.
 */
export function parseId(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !isAlbumId(n)) {
    throw new InvalidArgumentError(
      `must be an album id from ${AlbumLimits.minId} to ${AlbumLimits.maxId} other than 0`,
    );
  }
  return n;
}

/** The first of consecutive ids: positive, so that counting up from it never meets 0. */
const parseFirstId = (value: string): number => integer(value, 1, AlbumLimits.maxId, 'an album id');

/** A count of items, from 1 to `max`. */
export const countParser =
  (max: number) =>
  (value: string): number =>
    integer(value, 1, max, 'an integer');

/**
 * A price as decimal text, rounded to cents by the rule of every intake path (domain/price.ts):
 * `0.6782996` is taken (stored as 0.68), as the original system's testers send such prices.
 */
function parsePrice(value: string): number {
  const check = /^\d+(\.\d+)?$/.test(value) ? checkPrice(Number(value)) : null;
  if (check === null || !check.ok) {
    throw new InvalidArgumentError(
      `must be a price from 0 to ${PriceLimits.max} (rounded to cents), e.g. 12.99`,
    );
  }
  return Number(value);
}

/** The most albums one command sends; more than this belongs in a benchmark. */
const MAX_COUNT = 10_000_000;

/** The options that describe the albums a command sends or stores. */
export const albumOptions = {
  title: () => new Option('--title <title>', 'album title'),
  artist: () => new Option('--artist <artist>', 'artist name'),
  price: () => new Option('--price <price>', 'price, e.g. 12.99').argParser(parsePrice),
  id: (description = 'album id') => new Option('--id <id>', description).argParser(parseId),
  count: () =>
    new Option('--count <n>', 'how many albums to generate and send').argParser(
      countParser(MAX_COUNT),
    ),
  firstId: (
    description = 'give the albums consecutive ids from this one (replacing albums that have them)',
  ) => new Option('--first-id <id>', description).argParser(parseFirstId),
} as const;

/** Checks that `count` consecutive ids from `firstId` stay within the id limit. */
export function checkIdRange(firstId: number | undefined, count: number): void {
  if (firstId !== undefined && firstId + count - 1 > AlbumLimits.maxId) {
    throw new AppError(
      ErrorCode.InvalidArgument,
      `--first-id ${firstId} with --count ${count} goes past the largest id, ${AlbumLimits.maxId}`,
    );
  }
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time, as epoch milliseconds: an ISO 8601 date or date-time (`2025-01-31`,
 * `2025-01-31T12:00:00Z`), or a span before now such as `90s`, `30m`, `2h` or `7d`.
 */
export function parseSince(value: string, now = Date.now()): number {
  const span = /^(\d+)([smhd])$/.exec(value);
  if (span) return now - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS];
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(at)) {
    throw new InvalidArgumentError(
      'must be an ISO 8601 time (2025-01-31T12:00:00Z) or a span such as 30m, 2h, 7d',
    );
  }
  return at;
}
