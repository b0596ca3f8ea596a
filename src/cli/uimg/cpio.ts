/** uimg cpio: write initramfs archives from a gen_init_cpio list or a directory; list (-t) and extract (-x) them. */
import type { Argv } from 'yargs';
import { gzipSink } from '../../formats/compressed/gzip.js';
import { UimgError } from '../../errors.js';
import type { Finding } from '../../findings.js';
import { expandLocation, parseCpioList, type CpioSpec } from '../../formats/cpio/list.js';
import { FILE_TYPES, S_IFMT } from '../../formats/cpio/newc.js';
import { readCpio, type CpioEntry } from '../../formats/cpio/read.js';
import { writeCpio } from '../../formats/cpio/write.js';
import { cpioSpecsFromDirectory, extractCpio, hostFileOpener } from '../../node/cpio.js';
import { countedSink, countedSource, startProgress } from '../progress.js';
import { QUIET_OPTION, type Context, EXIT, STDIO_PATH, badFlagValue, displayPath, ioError, openOutputDir, openSink, openSource, printJson, readWhole, rememberInputs, summary } from './common.js';

/** gen_init_cpio lists are hand-written or generated lines; a larger file is not one. */
const LIST_FILE_LIMIT = 16 << 20;

export interface CpioArgs {
  archive?: string;
  list?: string;
  dir?: string;
  contents: boolean;
  extract: boolean;
  output?: string;
  directory: string;
  gzip: boolean;
  crc: boolean;
  mtime?: string;
  owner?: string;
  json: boolean;
  quiet: boolean;
}

export function cpioBuilder(y: Argv): Argv<CpioArgs> {
  return y
    .usage('$0 cpio --list LIST|--dir DIR -o OUT [--gzip]   write\n$0 cpio -t ARCHIVE   list\n$0 cpio -x ARCHIVE [-C DIR]   extract')
    .positional('archive', { type: 'string', describe: 'archive to list or extract (- for stdin); raw or gzip-compressed newc' })
    .option('list', { type: 'string', describe: 'write from a gen_init_cpio list file (paths relative to the current directory)' })
    .option('dir', { type: 'string', describe: 'write from a directory tree (sorted; hard links kept)' })
    .option('contents', { alias: 't', type: 'boolean', default: false, describe: 'list the archive' })
    .option('extract', { alias: 'x', type: 'boolean', default: false, describe: 'extract the archive' })
    .option('output', { alias: 'o', type: 'string', describe: 'archive to write (- for stdout)' })
    .option('directory', { alias: 'C', type: 'string', default: '.', describe: 'where -x extracts to' })
    .option('gzip', { alias: 'z', type: 'boolean', default: false, describe: 'gzip the archive (level 9, no name or time: reproducible)' })
    .option('crc', { alias: 'c', type: 'boolean', default: false, describe: 'crc format 070702 with data sums (gen_init_cpio -c)' })
    .option('mtime', { type: 'string', describe: 'one mtime for every entry, seconds (default SOURCE_DATE_EPOCH; else files keep theirs, others get now)' })
    .option('owner', { type: 'string', describe: 'UID:GID for every entry, e.g. 0:0' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<CpioArgs>;
}

/** A timestamp cpio can store (32 bits unsigned), from --mtime or SOURCE_DATE_EPOCH. */
function seconds(value: string, name: '--mtime' | 'SOURCE_DATE_EPOCH'): number {
  if (/^\d+$/.test(value) && Number(value) <= 0xffffffff) return Number(value);
  const [noun, expected, hint] = ['a number of seconds cpio can store', 'whole seconds from 0 to 4294967295', 'cpio stores 32-bit unsigned times'];
  if (name === '--mtime') throw badFlagValue('mtime', value, noun, expected, hint);
  throw new UimgError('BAD_VALUE', `${name}: '${value}' is not ${noun}: expected ${expected}`, { field: name, expected, actual: value }, hint);
}

export async function cpioCommand(ctx: Context, a: CpioArgs): Promise<number> {
  const modes = [a.list !== undefined, a.dir !== undefined, a.contents, a.extract].filter(Boolean).length;
  if (modes !== 1) {
    throw new UimgError('USAGE', 'say one of --list LIST, --dir DIR, -t ARCHIVE or -x ARCHIVE', { field: 'mode' },
      'uimg cpio --list initramfs.list -o initramfs.cpio.gz --gzip');
  }
  // A flag of another mode would be ignored without a word; say so instead.
  const writing = a.list !== undefined || a.dir !== undefined;
  const stray = writing
    ? a.directory !== '.' ? '--directory' : undefined
    : (['output', 'gzip', 'crc', 'mtime', 'owner'] as const).map((k) => (a[k] === undefined || a[k] === false ? undefined : `--${k}`)).find((k) => k);
  if (stray) {
    throw new UimgError('USAGE', `${stray}: only ${writing ? 'with -x' : 'when writing an archive (--list or --dir)'}`, { field: stray.slice(2) },
      'uimg cpio --help lists which flags go with which mode');
  }
  if (a.contents || a.extract) {
    if (a.archive === undefined) throw new UimgError('USAGE', `${a.contents ? '-t' : '-x'} needs an ARCHIVE`, { field: 'archive' });
    return a.contents ? listArchive(ctx, a.archive, a.json) : extractArchive(ctx, a.archive, a.directory, a.json, a.quiet);
  }
  if (a.output === undefined) throw new UimgError('USAGE', 'writing an archive needs -o OUT', { field: 'output' });
  if (a.archive !== undefined) throw new UimgError('USAGE', `unexpected argument '${a.archive}' when writing`, { field: 'archive' });
  return writeArchive(ctx, a, a.output);
}

async function writeArchive(ctx: Context, a: CpioArgs, output: string): Promise<number> {
  const sde = ctx.env.SOURCE_DATE_EPOCH;
  const fixed = a.mtime !== undefined ? seconds(a.mtime, '--mtime') : sde !== undefined ? seconds(sde, 'SOURCE_DATE_EPOCH') : undefined;
  let owner;
  if (a.owner !== undefined) {
    const m = /^(\d{1,10}):(\d{1,10})$/.exec(a.owner);
    if (!m) throw badFlagValue('owner', a.owner, 'UID:GID', 'two decimal ids, UID:GID', 'e.g. --owner 0:0');
    owner = { uid: Number(m[1]), gid: Number(m[2]) };
  }
  let specs: CpioSpec[];
  if (a.list !== undefined) {
    const text = new TextDecoder().decode(await readWhole(ctx, a.list, LIST_FILE_LIMIT, 'a gen_init_cpio list'));
    specs = parseCpioList(text, displayPath(a.list)).map((s) => (s.kind === 'file' ? { ...s, location: expandLocation(s.location, ctx.env) } : s));
  } else {
    specs = await cpioSpecsFromDirectory(a.dir!, { keepMtimes: fixed === undefined }).catch((e) => { throw ioError(e, a.dir!, 'read the directory'); });
  }
  if (specs.length === 0) {
    const from = a.list !== undefined ? displayPath(a.list) : a.dir!;
    throw new UimgError('EMPTY_INPUT', `${from}: no entries to archive`, { file: from, expected: 'at least one entry', actual: 0 },
      'an initramfs needs at least /init (or a program rdinit= names)');
  }
  const dataSize = await rememberInputs(ctx, specs.flatMap((spec) => (spec.kind === 'file' ? [spec.location] : [])));
  const open = hostFileOpener(fixed === undefined);
  const sink = await openSink(ctx, output);
  let written;
  let compressed = 0;
  // The bar follows the archive being written (file data plus headers), against the file data it holds.
  const progress = startProgress(ctx.io, `cpio ${displayPath(output)}`, dataSize, a.quiet);
  try {
    const counting = { write: async (c: Uint8Array) => { compressed += c.length; await sink.write(c); } };
    const gz = a.gzip ? gzipSink(counting) : undefined;
    written = await writeCpio(specs, async (spec) => {
      try {
        return await open(spec);
      } catch (e) {
        throw ioError(e, spec.location, `read (for ${spec.name})`);
      }
    }, countedSink(gz ?? sink, progress), { format: a.crc ? 'crc' : 'newc', mtime: fixed ?? Math.floor(Date.now() / 1000), ...(owner ? { owner } : {}) });
    await gz?.finish();
    await sink.commit();
  } finally {
    progress.done();
    await sink.abort();
  }
  const summary = { file: displayPath(output), entries: written.entries, size: written.size, ...(a.gzip ? { gzipSize: compressed } : {}) };
  if (a.json) printJson(ctx, { ok: true, ...summary, format: a.crc ? 'crc' : 'newc', compression: a.gzip ? 'gzip' : 'none' });
  else if (!a.quiet && output !== STDIO_PATH) {
    ctx.io.stdout(`${summary.file}: ${written.entries} entries, ${written.size} bytes${a.gzip ? `, ${compressed} gzipped` : ''}\n`);
  }
  return EXIT.OK;
}

const TYPE_LETTER: Record<number, string> = {
  [FILE_TYPES.dir]: 'd', [FILE_TYPES.reg]: '-', [FILE_TYPES.lnk]: 'l', [FILE_TYPES.chr]: 'c', [FILE_TYPES.blk]: 'b',
  [FILE_TYPES.fifo]: 'p', [FILE_TYPES.sock]: 's',
};

/** `-rwxr-xr-x`, as ls and cpio -tv show modes. */
export function modeString(mode: number): string {
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return (TYPE_LETTER[mode & S_IFMT] ?? '?') + rwx(mode >> 6, (mode & 0o4000) !== 0, 's') +
    rwx(mode >> 3, (mode & 0o2000) !== 0, 's') + rwx(mode, (mode & 0o1000) !== 0, 't');
}

function entryJson(e: CpioEntry) {
  return {
    name: e.name, type: e.type ?? null, mode: e.mode, modeOctal: '0' + (e.mode & 0o7777).toString(8).padStart(3, '0'),
    uid: e.uid, gid: e.gid, nlink: e.nlink, mtime: e.mtime, size: e.fileSize, ino: e.ino,
    ...(e.type === 'chr' || e.type === 'blk' ? { rdev: { major: e.rdevMajor, minor: e.rdevMinor } } : {}),
    ...(e.target !== undefined ? { target: e.target } : {}),
    offset: e.offset, segment: e.segment, format: e.format,
  };
}

function printFindings(ctx: Context, file: string, findings: readonly Finding[]): void {
  for (const f of findings) ctx.io.stderr(`uimg: ${f.severity === 'error' ? 'error' : f.severity}: ${file}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}\n`);
}

async function listArchive(ctx: Context, path: string, json: boolean): Promise<number> {
  const file = displayPath(path);
  const src = await openSource(ctx, path);
  try {
    const progress = startProgress(ctx.io, `cpio -t ${file}`, src.size);
    const listing = await readCpio(countedSource(src, progress)).catch((e) => { throw ioError(e, file, 'read'); }).finally(() => progress.done());
    const ok = !listing.findings.some((f) => f.severity === 'error');
    if (json) {
      printJson(ctx, { ok, file, segments: listing.segments, entries: listing.entries.map(entryJson), findings: listing.findings });
    } else {
      const rows = listing.entries.map((e) => [
        modeString(e.mode), String(e.nlink), `${e.uid}/${e.gid}`,
        e.type === 'chr' || e.type === 'blk' ? `${e.rdevMajor}, ${e.rdevMinor}` : String(e.fileSize),
        e.target !== undefined ? `${e.name} -> ${e.target}` : e.name,
      ]);
      const widths = [1, 2, 3].map((c) => Math.max(0, ...rows.map((r) => r[c]!.length)));
      for (const [mode, nlink, owner, size, name] of rows) {
        ctx.io.stdout(`${mode} ${nlink!.padStart(widths[0]!)} ${owner!.padEnd(widths[1]!)} ${size!.padStart(widths[2]!)} ${name}\n`);
      }
      printFindings(ctx, file, listing.findings);
    }
    return ok ? EXIT.OK : EXIT.INVALID;
  } finally {
    await src.close();
  }
}

async function extractArchive(ctx: Context, path: string, dest: string, json: boolean, quiet: boolean): Promise<number> {
  const file = displayPath(path);
  const src = await openSource(ctx, path);
  try {
    const dir = await openOutputDir(dest, 'directory');
    // The archive is read twice: checked whole first, then extracted.
    const progress = startProgress(ctx.io, `cpio -x ${file}`, 2 * src.size, quiet);
    const counted = countedSource(src, progress);
    const result = await extractCpio(() => counted.chunks(0, src.size), dest).catch(async (e) => {
      await dir.discard();
      throw ioError(e, file, 'extract');
    }).finally(() => progress.done());
    if (json) printJson(ctx, { ok: true, file, directory: dest, ...result });
    else if (!quiet) for (const s of result.skipped) ctx.io.stderr(`uimg: warning: ${file}: skipped ${s.name}: ${s.reason}\n`);
    summary(ctx, { quiet, json }, [dest], `${dest}: ${result.extracted.length} entries from ${file}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}`);
    return EXIT.OK;
  } finally {
    await src.close();
  }
}
