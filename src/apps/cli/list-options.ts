import { type Command, InvalidArgumentError, Option } from 'commander';
import { readSort, SORT_FIELDS, type SortField, type SortKey } from '../../domain/album-sort.ts';
import { countParser } from './options.ts';

export { SORT_FIELDS, type SortField, type SortKey };

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
export function parseSort(value: string, support: SortSupport): readonly SortKey[] {
  const keys = readSort(value, support.fields);
  if (keys === 'repeated') throw new InvalidArgumentError('must name each field once');
  if (keys === 'unknown' || (keys.some((k) => k.descending) && !support.descending))
    throw new InvalidArgumentError(`must be ${sortHelp(support)}`);
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
