/**
 * The kernel's gen_init_cpio list format (usr/gen_init_cpio.c, `-h`): one entry a line, `#` comments.
 *
 *   file  <name> <location> <mode> <uid> <gid> [<hard links>...]
 *   dir   <name> <mode> <uid> <gid>
 *   nod   <name> <mode> <uid> <gid> <b|c> <maj> <min>
 *   slink <name> <target> <mode> <uid> <gid>
 *   pipe  <name> <mode> <uid> <gid>
 *   sock  <name> <mode> <uid> <gid>
 *
 * Modes are octal permissions, ids decimal; fields are separated by blanks, so names cannot contain them.
 * gen_init_cpio ignores unknown lines and stray fields; here they are errors that name the line.
 */
import { UimgError, clip } from '../../errors.js';

interface Common {
  /** Path in the archive, as written in the list (a leading '/' is dropped when archived). */
  name: string;
  /** Permission bits (the file type comes from the kind). */
  mode: number;
  uid: number;
  gid: number;
  /** Overrides the archive's default mtime for this entry (files take their own, as gen_init_cpio does). */
  mtime?: number;
}
export interface FileSpec extends Common {
  kind: 'file';
  /** Where the data comes from (host path; `${VAR}` expanded by expandLocation). */
  location: string;
  /** Further names of the same inode (hard links). */
  links: string[];
}
export interface NodeSpec extends Common {
  kind: 'nod';
  device: 'b' | 'c';
  major: number;
  minor: number;
}
export interface LinkSpec extends Common {
  kind: 'slink';
  target: string;
}
export interface PlainSpec extends Common {
  kind: 'dir' | 'pipe' | 'sock';
}
export type CpioSpec = FileSpec | NodeSpec | LinkSpec | PlainSpec;
export type CpioKind = CpioSpec['kind'];

/** Fields after the kind word, in order; `links` (file) takes the rest of the line. */
const SYNTAX: Record<CpioKind, readonly string[]> = {
  file: ['name', 'location', 'mode', 'uid', 'gid'],
  dir: ['name', 'mode', 'uid', 'gid'],
  nod: ['name', 'mode', 'uid', 'gid', 'device', 'major', 'minor'],
  slink: ['name', 'target', 'mode', 'uid', 'gid'],
  pipe: ['name', 'mode', 'uid', 'gid'],
  sock: ['name', 'mode', 'uid', 'gid'],
};

const isKind = (w: string): w is CpioKind => Object.hasOwn(SYNTAX, w);

export function cpioListSyntax(kind: CpioKind): string {
  return `${kind} ${SYNTAX[kind].map((f) => `<${f}>`).join(' ')}${kind === 'file' ? ' [<hard links>...]' : ''}`;
}

/** Parse a list; `file` names the list in errors. */
export function parseCpioList(text: string, file = 'list'): CpioSpec[] {
  const specs: CpioSpec[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const words = line.split(/[ \t]+/).filter((w) => w !== '');
    if (line.startsWith('#') || words.length === 0) return;
    const where = `${file}:${index + 1}`;
    const [kind, ...args] = words as [string, ...string[]];
    if (!isKind(kind)) {
      throw new UimgError('MALFORMED', `${where}: unknown entry type '${clip(kind)}'`,
        { file, field: 'type', offset: index + 1, expected: Object.keys(SYNTAX).join('|'), actual: kind },
        'entry types: file, dir, nod, slink, pipe, sock; comments start with #');
    }
    const names = SYNTAX[kind];
    const bad = (field: string, expected: string, actual: string, hint?: string) =>
      new UimgError('MALFORMED', `${where}: ${field} '${actual}' is not ${expected}`,
        { file, field, offset: index + 1, expected, actual }, hint ?? `the line reads: ${cpioListSyntax(kind)}`);
    if (args.length < names.length || (kind !== 'file' && args.length > names.length && !args[names.length]!.startsWith('#'))) {
      throw new UimgError('MALFORMED', `${where}: ${kind} takes ${names.length} fields, found ${args.length}`,
        { file, field: kind, offset: index + 1, expected: names.length, actual: args.length }, `the line reads: ${cpioListSyntax(kind)}`);
    }
    const field = (f: string) => args[names.indexOf(f)]!;
    const octal = (f: string) => {
      const v = field(f);
      if (!/^[0-7]{1,5}$/.test(v) || parseInt(v, 8) > 0o7777) throw bad(f, 'octal permissions up to 07777 (e.g. 0755)', v);
      return parseInt(v, 8);
    };
    const decimal = (f: string) => {
      const v = field(f);
      if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw bad(f, 'a decimal number below 2^32', v);
      return Number(v);
    };
    const name = field('name');
    if (name.replace(/^\/+/, '') === '') throw bad('name', 'a path below the root', name, 'the root directory itself needs no entry');
    const common = { name, mode: octal('mode'), uid: decimal('uid'), gid: decimal('gid') };
    switch (kind) {
      case 'file':
        specs.push({ kind, ...common, location: field('location'), links: args.slice(names.length) });
        break;
      case 'slink':
        specs.push({ kind, ...common, target: field('target') });
        break;
      case 'nod': {
        const device = field('device');
        if (device !== 'b' && device !== 'c') throw bad('device', "'b' (block) or 'c' (character)", device);
        specs.push({ kind, ...common, device, major: decimal('major'), minor: decimal('minor') });
        break;
      }
      default:
        specs.push({ kind, ...common });
    }
  });
  return specs;
}

const WORD = /^[^\s]+$/;

/** Write specs as a list gen_init_cpio and parseCpioList read back. */
export function formatCpioList(specs: readonly CpioSpec[]): string {
  const word = (v: string, what: string) => {
    if (!WORD.test(v)) {
      throw new UimgError('BAD_VALUE', `${what} '${v}' cannot be written in a gen_init_cpio list`,
        { field: what, expected: 'no blanks', actual: v }, 'the list format separates fields with blanks');
    }
    return v;
  };
  const perm = (m: number) => '0' + m.toString(8).padStart(3, '0');
  return specs.map((s) => {
    const owner = `${perm(s.mode)} ${s.uid} ${s.gid}`;
    const name = word(s.name, 'name');
    switch (s.kind) {
      case 'file':
        return [`file ${name} ${word(s.location, 'location')} ${owner}`, ...s.links.map((l) => word(l, 'link'))].join(' ');
      case 'slink':
        return `slink ${name} ${word(s.target, 'target')} ${owner}`;
      case 'nod':
        return `nod ${name} ${owner} ${s.device} ${s.major} ${s.minor}`;
      default:
        return `${s.kind} ${name} ${owner}`;
    }
  }).join('\n') + '\n';
}

/** `${VAR}` in a location becomes the variable's value (empty when unset), as gen_init_cpio does. */
export function expandLocation(location: string, env: Readonly<Record<string, string | undefined>>): string {
  return location.replace(/\$\{([^}]*)\}/g, (_, name: string) => env[name] ?? '');
}
