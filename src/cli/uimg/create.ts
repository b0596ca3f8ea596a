import type { Argv } from 'yargs';
import { UimgError, hex32 } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import { detectCompression } from '../../formats/compressed/magic.js';
import { HEADER_SIZE, NAME_SIZE } from '../../formats/uimage/header.js';
import { isMultiLayout, writeImage } from '../../formats/uimage/image.js';
import { formatListingBytes } from '../../formats/uimage/listing.js';
import { ARCH, COMP, OS, TYPE, entryForId, idForName, shortNameForId, type NameTable } from '../../formats/uimage/tables.js';
import { creationTime, localTimeZone } from '../../node/env.js';
import { countedSource, startProgress } from '../progress.js';
import { QUIET_OPTION, type Context, EXIT, STDIO_PATH, displayPath, openSink, openSource, parseAddress, parseNumberFlag, printJson, type OpenedSource } from './common.js';
import { headerJson } from './describe.js';
import { compLabelMismatch, entryOutside } from '../../formats/uimage/format.js';
import { fitCreateCommand, fitCreateOptions, type FitFlags } from './fit.js';

export interface CreateArgs extends FitFlags {
  fit: boolean;
  data: string[];
  output: string;
  arch?: string;
  os: string;
  type: string;
  compression?: string;
  load: string;
  entry?: string;
  name: string;
  xip: boolean;
  noData: boolean;
  time?: string;
  json: boolean;
  quiet: boolean;
}

export function createBuilder(y: Argv): Argv<CreateArgs> {
  return fitCreateOptions(y)
    .positional('data', { type: 'string', array: true, describe: 'data file(s); several make a multi-file image; - is stdin' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'image to write (- for stdout)' })
    .option('arch', { alias: 'A', type: 'string', describe: 'architecture (default powerpc, as mkimage: a warning says so)' })
    .option('os', { alias: 'O', type: 'string', default: 'linux' })
    .option('type', { alias: 'T', type: 'string', default: 'kernel', describe: 'kernel, ramdisk, multi, script, ...' })
    .option('compression', { alias: 'C', type: 'string', describe: 'label for the data (default gzip, as mkimage: a warning says so)' })
    .option('load', { alias: 'a', type: 'string', default: '0', describe: 'load address (hex)' })
    .option('entry', { alias: 'e', type: 'string', describe: 'entry point (hex; default load, or load+0x40 with --xip)' })
    .option('name', { alias: 'n', type: 'string', default: '', describe: 'image name (32 bytes at most)' })
    .option('xip', { alias: 'x', type: 'boolean', default: false, describe: 'execute in place: data starts with 64 bytes of 0xFF' })
    .option('no-data', { alias: 's', type: 'boolean', default: false, describe: 'header only' })
    .option('time', { type: 'string', describe: 'creation time, seconds since the epoch (default SOURCE_DATE_EPOCH, else now)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<CreateArgs>;
}

/** A table name from the command line; a misspelling is answered with the closest name (did you mean, in reportError). */
function lookup(table: NameTable, value: string, flag: string): number {
  const e = idForName(table, value);
  if (!e) {
    const choices = table.entries.filter((r) => r.name).map((r) => r.name!);
    throw new UimgError('UNKNOWN_NAME', `--${flag}: unknown ${table.category} '${value}'`, { field: flag, actual: value, choices },
      `one of: ${choices.join(', ')}`);
  }
  return e.id;
}

/** The types a legacy uImage can carry (the rest are U-Boot's other image formats: kwbimage, imximage, ...). */
const LEGACY_TYPES = TYPE.entries.filter((e) => e.legacy && e.name).map((e) => e.name!);

export async function createCommand(ctx: Context, a: CreateArgs): Promise<number> {
  if (a.fit) return fitCreateCommand(ctx, a);
  const findings: Finding[] = [];
  const arch = a.arch === undefined ? 7 : lookup(ARCH, a.arch, 'arch');
  const os = lookup(OS, a.os, 'os');
  const type = lookup(TYPE, a.type, 'type');
  const comp = a.compression === undefined ? 1 : lookup(COMP, a.compression, 'compression');
  if (!entryForId(TYPE, type)?.legacy) {
    // A name uimg create cannot write is a command-line mistake like a misspelt one (exit 2), not invalid data.
    throw new UimgError('BAD_VALUE', `--type: '${a.type}' is not a legacy image type: expected one of ${LEGACY_TYPES.join(', ')}`,
      { field: 'type', expected: LEGACY_TYPES.join(', '), actual: a.type }, `mkimage -T ${a.type} makes that format (U-Boot's mkimage)`);
  }
  const load = parseAddress(a.load, 'load');
  const entry = a.entry === undefined ? undefined : parseAddress(a.entry, 'entry');
  const time = a.time !== undefined ? parseNumberFlag(a.time, 'time', { max: 0xffffffff, hint: 'seconds since 1970, as the 32-bit header field stores them' }) : creationTime(ctx.env).time;
  if (a.arch === undefined) {
    findings.push(finding('implicit-arch', 'no --arch: the header says PowerPC (mkimage\'s default)', 'pass --arch, e.g. --arch arm'));
  }
  if (a.compression === undefined) {
    findings.push(finding('implicit-comp', 'no --compression: the data is labelled gzip (mkimage\'s default)',
      'pass --compression none for an uncompressed kernel; uimg never compresses'));
  }
  const nameLength = new TextEncoder().encode(a.name).length;
  if (nameLength > NAME_SIZE) {
    findings.push(finding('name-truncated', `the name is ${nameLength} bytes; only the first ${NAME_SIZE} are stored`,
      'shorten --name'));
  }
  if (!a.noData && a.data.length === 0) {
    throw new UimgError('USAGE', 'no data file given', { field: 'data' }, 'uimg create DATA -o OUT, or --no-data');
  }
  if (a.data.length > 1 && !isMultiLayout(type)) {
    throw new UimgError('USAGE', `${a.data.length} data files need --type multi or script`, { field: 'type', actual: a.type });
  }
  const sources: OpenedSource[] = [];
  try {
    for (const f of a.noData ? [] : a.data) sources.push(await openSource(ctx, f));
    const [first] = sources;
    if (first && !isMultiLayout(type) && first.size > (a.xip ? HEADER_SIZE : 0)) {
      const detected = detectCompression(await first.read(a.xip ? HEADER_SIZE : 0, 16));
      const label = shortNameForId(COMP, comp);
      if (compLabelMismatch(comp, detected)) {
        findings.push(finding('comp-mismatch',
          `--compression says ${label}, but the data ${detected ? `starts like ${detected}` : 'is not a compressed stream'}`,
          detected ? `use --compression ${detected}` : 'use --compression none (an ARM zImage decompresses itself)'));
      }
    }
    const sink = await openSink(ctx, a.output);
    const progress = startProgress(ctx.io, `create ${displayPath(a.output)}`, sources.reduce((n, s) => n + s.size, 0), a.quiet);
    let written;
    try {
      const parts = sources.map((s) => countedSource(s, progress));
      written = await writeImage({ arch, os, type, comp, load, entry, name: a.name, time, parts, xip: a.xip, noData: a.noData }, sink);
      await sink.commit();
    } finally {
      progress.done();
      await sink.abort();
    }
    const h = written.header;
    if (entryOutside(h)) {
      findings.push(finding('entry-outside', `entry ${hex32(h.entry)} is outside the image [${hex32(h.load)}, ${hex32(h.load + h.dataSize)})`,
        'the entry point is usually the load address (or load + 0x40 for XIP)'));
    }
    if (a.json) {
      printJson(ctx, { ok: true, file: displayPath(a.output), header: headerJson(h), findings });
    } else {
      if (!a.quiet) for (const f of findings) ctx.io.stderr(`uimg: warning: ${f.message} (hint: ${f.hint})\n`);
      if (!a.quiet && a.output !== STDIO_PATH) ctx.io.stdout(formatListingBytes(h, { timeZone: localTimeZone(ctx.env), subImages: written.subImages }));
    }
    return EXIT.OK;
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}
