/**
 * The uimg command line's own rules, on top of yargs: every flag that takes a value gets one, and every mistake the
 * parser finds becomes one line in the project's format (the field, what was expected and found, a "did you mean"
 * and the help of the command it was typed for), exit 2.
 */
import type { Argv, Options, PositionalOptions } from 'yargs';
import { UimgError } from '../../errors.js';
import { didYouMean } from '../suggest.js';
import { STDIO_PATH, oneLine } from './common.js';

const takesValue = (o: Options) => o.type === 'string' || o.type === 'number' || o.array === true || o.choices !== undefined || o.nargs !== undefined;

/**
 * Make every option that takes a value demand one (yargs' requiresArg), whichever builder declares it: without it
 * `--load --name foo` and a bare `-a` last give load 0 without a word. yargs hands each command's builder the same
 * instance, so wrapping its `option` once covers every command, nested ones too; positionals are left alone.
 */
export function valuesRequired<T>(y: Argv<T>): Argv<T> {
  const option = y.option.bind(y) as (key: string, opt: Options) => Argv<T>;
  const positional = y.positional.bind(y) as (key: string, opt: PositionalOptions) => Argv<T>;
  let inPositional = false;
  const patched = (key: string, opt: Options) => option(key, !inPositional && opt && takesValue(opt) ? { requiresArg: true, ...opt } : opt);
  Object.assign(y, {
    option: patched,
    options: patched,
    positional: (key: string, opt: PositionalOptions) => {
      inPositional = true;
      try {
        return positional(key, opt);
      } finally {
        inPositional = false;
      }
    },
  });
  return y;
}

/** What yargs knows about the command being parsed when it fails (its internals, read only here). */
interface ParseState {
  /** Command words, e.g. ['layout', 'check']. */
  commands: string[];
  /** The last command's definition, e.g. 'check <file>'. */
  definition?: string;
  /** Subcommands of the last command (or the top level). */
  subcommands: string[];
  /** Flags and their aliases. */
  flags: Set<string>;
  booleans: Set<string>;
}

function parseState(y: Argv): ParseState {
  const yi = y as unknown as {
    getInternalMethods(): { getContext(): { commands: string[]; fullCommands: string[] }; getCommandInstance(): { getCommands(): string[] } };
    getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[] };
  };
  const internal = yi.getInternalMethods();
  const context = internal.getContext();
  const o = yi.getOptions();
  const flags = new Set([...Object.keys(o.key), ...Object.values(o.alias).flat()]);
  const booleans = new Set(o.boolean.flatMap((k) => [k, ...(o.alias[k] ?? [])]));
  const definition = context.fullCommands.at(-1);
  return { commands: context.commands, ...(definition ? { definition } : {}), subcommands: internal.getCommandInstance().getCommands(), flags, booleans };
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const spell = (flag: string) => (flag.length === 1 ? `-${flag}` : `--${flag}`);
const isFlagToken = (t: string) => t.length > 1 && t.startsWith('-') && t !== STDIO_PATH && !/^-\d/.test(t);

/** The first flag on the command line that the command does not have, as typed; yargs may have blamed its value instead. */
function unknownFlag(args: readonly string[], s: ParseState): string | undefined {
  const known = (name: string) => s.flags.has(name) || s.flags.has(camel(name));
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    if (t === '--') break;
    if (!isFlagToken(t)) continue;
    if (t.startsWith('--')) {
      const name = t.slice(2).split('=')[0]!;
      const negated = name.startsWith('no-') && s.booleans.has(camel(name.slice(3))) ? name.slice(3) : undefined;
      if (!known(name) && negated === undefined) return `--${name}`;
      if (!t.includes('=') && !s.booleans.has(name) && negated === undefined && i + 1 < args.length && !isFlagToken(args[i + 1]!)) i++;
      continue;
    }
    for (const c of t.slice(1)) {
      if (!known(c)) return `-${c}`;
      if (!s.booleans.has(c)) {
        if (t.length === 2 && i + 1 < args.length && !isFlagToken(args[i + 1]!)) i++;
        break;
      }
    }
  }
  return undefined;
}

/** `--typ` → `--type`: the flags of this command, long names first. */
function flagSuggestion(typed: string, s: ParseState): string | undefined {
  const names = [...s.flags].filter((f) => !/[A-Z]/.test(f) && f !== 'version');
  const bare = typed.replace(/^-+/, '');
  return didYouMean(bare, typed.startsWith('--') ? names.filter((f) => f.length > 1) : names, spell);
}

/**
 * A message yargs produced, as a UimgError in the project's one-line format. `args` is the command line as parsed;
 * `y` the yargs instance, which at that moment holds the options of the command that failed.
 */
export function usageError(y: Argv, message: string, args: readonly string[], argv0: string): UimgError {
  const s = parseState(y);
  const command = [argv0, ...s.commands].join(' ');
  const help = `see '${command} --help'`;
  const where = s.commands.length ? `${s.commands.join(' ')}: ` : '';
  const hint = (...parts: (string | undefined)[]) => [...parts.filter((p) => p), help].join('; ');
  const usage = (text: string, data: Record<string, unknown>, ...hints: (string | undefined)[]) =>
    new UimgError('USAGE', text, { command, ...data }, hint(...hints));

  // An unknown flag first, wherever it stands: yargs may have taken the word after it as its value and blamed that.
  const flag = unknownFlag(args, s);
  if (flag) return usage(`${flag}: not a flag of '${command}'`, { field: flag.replace(/^-+/, ''), actual: flag }, flagSuggestion(flag, s));

  let m: RegExpExecArray | null;
  if ((m = /^Unknown arguments?: (.*)$/s.exec(message))) {
    const word = m[1]!.split(', ')[0]!;
    if (s.subcommands.length > 0) {
      return usage(`${where}unknown command '${word}': expected one of ${s.subcommands.join(', ')}`, { field: 'command', actual: word,
        expected: s.subcommands.join(', ') }, didYouMean(word, s.subcommands));
    }
    return usage(`${where}unexpected argument '${word}'`, { field: 'argument', actual: word }, s.definition ? `usage: ${argv0} ${[...s.commands.slice(0, -1), s.definition].join(' ')}` : undefined);
  }
  if ((m = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message))) {
    const wanted = (s.definition ?? '').match(/<[^>]+>/g)?.slice(Number(m[1])) ?? [];
    const names = wanted.map((w) => w.slice(1, -1).replace(/\.\.$/, '').toUpperCase()).join(' ') || 'an argument';
    return usage(`${where}${names} missing: expected at least ${m[2]} argument${m[2] === '1' ? '' : 's'}, found ${m[1]}`,
      { field: 'argument', expected: Number(m[2]), actual: Number(m[1]) }, swallowed(args, s), `usage: ${argv0} ${[...s.commands.slice(0, -1), s.definition].join(' ')}`);
  }
  if ((m = /^Not enough arguments following: (.*)$/.exec(message))) {
    const key = m[1]!;
    return usage(`${spell(key)}: needs a value, found none`, { field: key, expected: 'a value' },
      `give ${spell(key)} VALUE (or ${spell(key)}=VALUE for a value that starts with -)`);
  }
  if ((m = /^Missing required arguments?: (.*)$/.exec(message))) {
    const keys = m[1]!.split(', ');
    return usage(`${where}${keys.map(spell).join(', ')} ${keys.length > 1 ? 'are' : 'is'} missing`, { field: keys[0], expected: keys.map(spell).join(', ') });
  }
  if ((m = /^Invalid values:\s*Argument: (\S+), Given: "?(.*?)"?, Choices: (.*)$/m.exec(message))) {
    const [key, given, list] = [m[1]!, m[2]!, m[3]!];
    const choices = list.split(', ').map((c) => c.replace(/^"|"$/g, ''));
    return usage(`${spell(key)}: '${given}' is not one of ${choices.join(', ')}`, { field: key, expected: choices.join(', '), actual: given, choices },
      didYouMean(given, choices));
  }
  if ((m = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message))) {
    return usage(`${spell(m[1]!)} and ${spell(m[2]!)} do not go together`, { field: m[2]! }, `give one of them`);
  }
  // demandCommand's own text ("name an action: check, map") and anything else yargs says.
  return usage(`${where}${oneLine(message)}`, {});
}

/**
 * yargs checks positionals first, so in `inspect --bootm-len FILE` FILE is taken as --bootm-len's value and the
 * complaint is a missing FILE: say which flag took it.
 */
function swallowed(args: readonly string[], s: ParseState): string | undefined {
  const at = args.findIndex((a, i) => /^--?[^-=][^=]*$/.test(a) && !s.booleans.has(a.replace(/^-+/, '')) && i + 1 < args.length && !isFlagToken(args[i + 1]!));
  return at < 0 ? undefined : `${args[at]} took '${args[at + 1]}' as its value`;
}
