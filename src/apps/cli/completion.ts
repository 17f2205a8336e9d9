import type { Command, Option } from 'commander';

/** The shells `music completion` writes a script for. */
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** What can follow at one place of the command tree. */
interface Place {
  /** The command path after `music`, words separated by spaces ('' for `music` itself). */
  readonly path: string;
  /** Its subcommands, and the choices of its arguments. */
  readonly commands: readonly string[];
  /** The long options, the ancestors' included (Commander takes them after subcommands too). */
  readonly options: readonly string[];
}

const visible = (options: readonly Option[]) => options.filter((o) => !o.hidden && o.long);

/** Every place of the tree, root first. */
function placesOf(command: Command, path = '', inherited: readonly Option[] = []): Place[] {
  const options = [...inherited, ...visible(command.options)];
  const commands = command.commands.map((c) => c.name());
  // An argument with a closed set of values (`completion <shell>`) completes like a command.
  const choices = command.registeredArguments.flatMap((a) => a.argChoices ?? []);
  const place: Place = {
    path,
    commands: [...commands, ...(commands.length > 0 ? ['help'] : []), ...choices],
    options: [...options.map((o) => o.long ?? ''), '--help'],
  };
  return [
    place,
    ...command.commands.flatMap((c) =>
      placesOf(c, path === '' ? c.name() : `${path} ${c.name()}`, options),
    ),
  ];
}

/** Every option that takes a value, with its choices when it has a closed set. */
function valueOptions(command: Command): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const walk = (c: Command) => {
    for (const o of visible(c.options))
      if (o.required || o.optional) out.set(o.long ?? '', o.argChoices ?? []);
    for (const sub of c.commands) walk(sub);
  };
  walk(command);
  return out;
}

// Words in the generated script come from the command tree only (names of commands, options
// and choices), never from user input; quoting keeps them literal anyway.
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const caseArms = (arms: readonly (readonly [string, readonly string[]])[]) =>
  arms.map(([key, words]) => `    ${quote(key)}) echo ${quote(words.join(' '))} ;;`).join('\n');

/**
 * The bash completion of `program`, generated from its command tree so that it never falls
 * behind: the words so far pick the command, then its subcommands and options are offered, and
 * an option's choices after it. zsh loads the same function through bashcompinit, which runs
 * bash completion functions unchanged.
 */
function bashScript(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/\W/g, '_')}_complete`;
  const places = placesOf(program);
  const values = [...valueOptions(program)];
  return `# ${name} completion for bash; load with: source <(${name} completion bash)
${fn}_commands() {
  case "$1" in
${caseArms(places.map((p) => [p.path, p.commands]))}
  esac
}
${fn}_options() {
  case "$1" in
${caseArms(places.map((p) => [p.path, p.options]))}
  esac
}
${fn}_values() {
  case "$1" in
${caseArms(values)}
    *) return 1 ;;
  esac
}
${fn}() {
  # "at", not "path": zsh ties $path to $PATH.
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" at="" word sub i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n "$prev" ]]; then prev=""; continue; fi
    if [[ "$word" == --*=* ]]; then continue; fi
    if ${fn}_values "$word" >/dev/null; then prev="$word"; continue; fi
    for sub in $(${fn}_commands "$at"); do
      if [[ "$sub" == "$word" ]]; then at="\${at:+$at }$word"; break; fi
    done
  done
  COMPREPLY=()
  if [[ -n "$prev" ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_values "$prev")" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_options "$at")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(${fn}_commands "$at")" -- "$cur"))
  fi
}
complete -F ${fn} ${name}
`;
}

/** The completion script of `program` for `shell`, to be sourced by that shell. */
export function completionScript(program: Command, shell: Shell): string {
  const bash = bashScript(program);
  if (shell === 'bash') return bash;
  return `#compdef ${program.name()}
# ${program.name()} completion for zsh; load with: source <(${program.name()} completion zsh)
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bash.split('\n').slice(1).join('\n')}`;
}
