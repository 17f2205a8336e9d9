import { type Command, InvalidArgumentError, Option } from 'commander';
import { countParser } from './options.ts';

/** The fields an album listing can be sorted by. */
export const SORT_FIELDS = ['id', 'title', 'artist', 'price'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** One sort key: a field, ascending unless `descending`. */
export interface SortKey {
  readonly field: SortField;
  readonly descending: boolean;
}

/** The orders a listing's service can give. */
export interface SortSupport {
  readonly fields: readonly SortField[];
  /** Whether a field may be sorted descending (`-price`). */
  readonly descending: boolean;
}

/**
 * `--sort` as the REST API's `sort` parameter is written (`-price,title`): fields separated by
 * commas, each descending with a leading `-`, each at most once, only those `support` allows.
 */
export function parseSort(value: string, support: SortSupport): SortKey[] {
  const keys = value.split(',').map((part): SortKey => {
    const descending = part.startsWith('-');
    const field = support.fields.find((f) => f === (descending ? part.slice(1) : part));
    if (field === undefined || (descending && !support.descending))
      throw new InvalidArgumentError(`must be ${sortHelp(support)}`);
    return { field, descending };
  });
  if (new Set(keys.map((k) => k.field)).size !== keys.length)
    throw new InvalidArgumentError('must name each field once');
  return keys;
}

const sortHelp = (support: SortSupport) =>
  support.fields.length === 1 && !support.descending
    ? `${support.fields[0]} (the only order supported now)`
    : `fields from ${support.fields.join(', ')} separated by commas${support.descending ? ', each descending with a leading - (e.g. -price,title)' : ''}`;

/** What every list command takes. */
export interface ListOptions {
  /** The most albums to print; absent for every album. */
  readonly limit?: number;
  readonly artist?: string;
  readonly query?: string;
  readonly sort: readonly SortKey[];
}

/** The largest --limit: more than any table a person reads, less than a catalogue. */
const MAX_LIMIT = 10_000_000;

/** What a listing supports, for its options' help and checks. */
export interface ListSupport {
  readonly sort: SortSupport;
  /** How --query is applied when the service itself cannot, said in its help. */
  readonly queryNote?: string;
  /** How --sort is served, said in its help. */
  readonly sortNote: string;
}

/**
 * Adds `--limit`, `--artist`, `--query` and `--sort` to a list command. Sorting is the
 * service's: a command offers only the orders its service can give, since sorting one page
 * here would not sort the catalogue.
 */
export function addListOptions(command: Command, support: ListSupport): Command {
  return command
    .addOption(
      new Option('--limit <n>', 'print at most this many albums (default: every album)').argParser(
        countParser(MAX_LIMIT),
      ),
    )
    .addOption(new Option('--artist <artist>', 'only this artist (the whole name, any case)'))
    .addOption(
      new Option(
        '--query <text>',
        `only albums with this text in the title or artist, any case${support.queryNote ? ` (${support.queryNote})` : ''}`,
      ),
    )
    .addOption(
      new Option('--sort <fields>', `order: ${sortHelp(support.sort)}; ${support.sortNote}`)
        .argParser((value) => parseSort(value, support.sort))
        .default([{ field: 'id', descending: false }], 'id'),
    );
}
