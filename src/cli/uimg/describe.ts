/** Images as data for --json and as an mkimage command line for --format mkimage. */
import { nameOf } from '../../formats/uimage/header.js';
import { headerJson } from '../../formats/uimage/format.js';
import type { ImageReport } from '../../formats/uimage/image.js';
import { ARCH, COMP, OS, TYPE, entryForId, type NameTable } from '../../formats/uimage/tables.js';
import { hex32 } from '../../errors.js';

export { headerJson };

export function reportJson(file: string, r: ImageReport) {
  return {
    file,
    fileSize: r.fileSize,
    header: headerJson(r.header),
    ...(r.subImages ? { parts: r.subImages.map((s, index) => ({ index, offset: s.offset, size: s.size })) } : {}),
  };
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The mkimage command that recreates this image from its extracted parts (`uimg extract`), with the time pinned.
 * Unnamed ids cannot be spelled on mkimage's command line; they are reported in `problems`.
 */
export function mkimageCommand(file: string, r: ImageReport): { command: string; problems: string[] } {
  const h = r.header;
  const problems: string[] = [];
  const nameFor = (table: NameTable, id: number, flag: string) => {
    const n = entryForId(table, id)?.name;
    if (!n) problems.push(`${flag}: id ${id} has no name in mkimage`);
    return n ?? String(id);
  };
  const parts = r.subImages ? r.subImages.map((_, i) => `${file}.part${i}`) : [`${file}.data`];
  const args = [
    `SOURCE_DATE_EPOCH=${h.time}`, 'mkimage',
    '-A', nameFor(ARCH, h.arch, '-A'), '-O', nameFor(OS, h.os, '-O'), '-T', nameFor(TYPE, h.type, '-T'),
    '-C', nameFor(COMP, h.comp, '-C'),
    '-a', hex32(h.load), '-e', hex32(h.entry), '-n', shellQuote(nameOf(h)),
    ...(h.dataSize > 0 ? ['-d', shellQuote(parts.join(':'))] : r.subImages ? ['-s'] : ['-s', '-d', '/dev/null']),
    shellQuote(file),
  ];
  return { command: args.join(' '), problems };
}
