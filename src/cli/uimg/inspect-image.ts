/** list, verify and extract: read an image, then show it, judge it or copy a part out. */
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { HEADER_SIZE } from '../../formats/uimage/header.js';
import { partRange, problemsOf, readImage, type ImageReport } from '../../formats/uimage/image.js';
import { formatListingBytes } from '../../formats/uimage/listing.js';
import { IH_TYPE } from '../../formats/uimage/tables.js';
import { localTimeZone } from '../../node/env.js';
import { countedSink, countedSource, startProgress } from '../progress.js';
import { QUIET_OPTION, type Context, EXIT, type OpenedSource, STDIO_PATH, displayPath, eachFile, openOutputDir, openSource, parseNumberFlag, printJson, summary, withOutputs } from './common.js';
import { mkimageCommand, reportJson } from './describe.js';

/** Read an image (its data CRC walks the whole file: with `progress`, a bar on a terminal shows how far it is). */
async function withImage<T>(ctx: Context, path: string, use: (r: ImageReport, src: OpenedSource) => Promise<T>, opts: { progress?: string; quiet?: boolean } = {}): Promise<T> {
  const src = await openSource(ctx, path);
  const file = displayPath(path);
  const progress = opts.progress ? startProgress(ctx.io, `${opts.progress} ${file}`, src.size, opts.quiet) : undefined;
  try {
    if (src.size < HEADER_SIZE) {
      throw new UimgError('TRUNCATED', `${file}: ${src.size} bytes is shorter than a uImage header (64)`,
        { file, field: 'header', expected: HEADER_SIZE, actual: src.size }, 'the file is cut short or is not a uImage');
    }
    const report = await readImage(progress ? countedSource(src, progress) : src);
    progress?.done();
    return await use(report, src);
  } finally {
    progress?.done();
    await src.close();
  }
}

export interface ListArgs { files: string[]; json: boolean; format: 'text' | 'json' | 'mkimage' }

export function listBuilder(y: Argv): Argv<ListArgs> {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'images (- for stdin)' })
    .option('json', { type: 'boolean', default: false, describe: 'same as --format json' })
    .option('format', { choices: ['text', 'json', 'mkimage'] as const, default: 'text' as const,
      describe: 'text: as mkimage -l; json; mkimage: the command that recreates the image' }) as unknown as Argv<ListArgs>;
}

/**
 * Show headers, file by file: a file that is not a uImage (or whose header is damaged) is reported about that file
 * and the others are still listed. Data problems are reported but do not hide the header.
 */
export async function listCommand(ctx: Context, a: ListArgs): Promise<number> {
  const format = a.json ? 'json' : a.format;
  const images: object[] = [];
  const code = await eachFile(ctx, a.files, format === 'json', (path, file) => withImage(ctx, path, async (r) => {
    const problems = problemsOf(r).map((e) => e.withFile(file));
    const untrusted = problems.find((e) => e.code === 'BAD_MAGIC' || e.code === 'HEADER_CRC_MISMATCH');
    if (untrusted) throw untrusted;
    if (format === 'json') {
      images.push({ ...reportJson(file, r), problems: problems.map((e) => e.toJSON()) });
    } else {
      for (const p of problems) ctx.io.stderr(`uimg: ${p.describe()}\n`);
      if (format === 'mkimage') {
        const { command, problems: cmdProblems } = mkimageCommand(file, r);
        for (const p of cmdProblems) ctx.io.stderr(`uimg: warning: ${p}\n`);
        ctx.io.stdout(command + '\n');
      } else {
        if (a.files.length > 1) ctx.io.stdout(`${file}:\n`);
        ctx.io.stdout(formatListingBytes(r.header, { timeZone: localTimeZone(ctx.env), subImages: r.subImages }));
      }
    }
    return problems.length ? EXIT.INVALID : EXIT.OK;
  }), (file, error) => images.push({ file, error: error.toJSON() }));
  if (format === 'json') printJson(ctx, { ok: code === EXIT.OK, images });
  return code;
}

export interface VerifyArgs { files: string[]; json: boolean; allowTrailing: boolean; quiet: boolean }

export function verifyBuilder(y: Argv): Argv<VerifyArgs> {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true })
    .option('allow-trailing', { type: 'boolean', default: false, describe: 'accept bytes after the data (flash padding)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<VerifyArgs>;
}

type CheckStatus = 'ok' | 'fail' | 'skipped';
interface Check { check: string; status: CheckStatus; reason?: string; error?: UimgError }

/**
 * Each check with what it found, and only what ran: a check whose input is missing is `skipped` with the reason
 * (nothing past a bad magic is read, as U-Boot reads nothing; no data CRC over data that is not there).
 */
function checksOf(r: ImageReport, problems: readonly UimgError[], allowTrailing: boolean): Check[] {
  const problem = (code: string, field?: string) => problems.find((e) => e.code === code && (field === undefined || e.data.field === field));
  const verdict = (check: string, error: UimgError | undefined): Check => (error ? { check, status: 'fail', error } : { check, status: 'ok' });
  const skipped = (check: string, reason: string): Check => ({ check, status: 'skipped', reason });
  const untrusted = !r.magicOk ? 'the magic is wrong' : !r.headerCrcOk ? 'the header CRC is wrong' : undefined;
  const checks: Check[] = [verdict('magic', problem('BAD_MAGIC'))];
  checks.push(r.magicOk ? verdict('header-crc', problem('HEADER_CRC_MISMATCH')) : skipped('header-crc', 'the magic is wrong'));
  if (untrusted) {
    for (const c of ['size', 'data-crc', 'trailing-bytes']) checks.push(skipped(c, `${untrusted}: the header's fields cannot be trusted`));
    return checks;
  }
  checks.push(verdict('size', problem('TRUNCATED', 'ih_size')));
  checks.push(r.missingBytes > 0 ? skipped('data-crc', `${r.missingBytes} bytes of the data are missing`)
    : r.dataCrc === undefined ? skipped('data-crc', 'the data was not read') : verdict('data-crc', problem('DATA_CRC_MISMATCH')));
  checks.push(allowTrailing && r.trailingBytes > 0 ? { check: 'trailing-bytes', status: 'ok', reason: `${r.trailingBytes} bytes allowed (--allow-trailing)` }
    : verdict('trailing-bytes', problem('TRAILING_BYTES')));
  if (r.subImages) checks.push(verdict('size-table', r.tableInconsistent ? problem('TRUNCATED', 'size table') : undefined));
  return checks;
}

/** Every check with its verdict, file by file; exit 4 when any fails. Each error is printed once, on stderr. */
export async function verifyCommand(ctx: Context, a: VerifyArgs): Promise<number> {
  const results: object[] = [];
  const code = await eachFile(ctx, a.files, a.json, (path, file) => withImage(ctx, path, async (r) => {
    const checks = checksOf(r, problemsOf(r).map((e) => e.withFile(file)), a.allowTrailing);
    const ok = checks.every((c) => c.status !== 'fail');
    if (a.json) {
      results.push({ file, ok, checks: checks.map((c) => ({ ...c, ...(c.error ? { error: c.error.toJSON() } : {}) })) });
    } else {
      for (const c of checks) {
        if (!a.quiet) ctx.io.stdout(`${file}: ${c.check}: ${c.status.toUpperCase()}${c.reason ? ` (${c.reason})` : ''}\n`);
        if (c.error) ctx.io.stderr(`uimg: ${c.error.describe()}\n`);
      }
    }
    return ok ? EXIT.OK : EXIT.INVALID;
  }, { progress: 'verify', quiet: a.quiet }), (file, error) => results.push({ file, ok: false, error: error.toJSON() }));
  if (a.json) printJson(ctx, { ok: code === EXIT.OK, results });
  return code;
}

export interface ExtractArgs { file: string; part: string; output?: string; all: boolean; force: boolean; json: boolean; quiet: boolean }

export function extractBuilder(y: Argv): Argv<ExtractArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true })
    .option('part', { alias: 'p', type: 'string', default: '0', describe: 'part to extract (multi/script: sub-image; else 0)' })
    .option('output', { alias: 'o', type: 'string', describe: 'where to write (- for stdout); with --all, the directory to write into' })
    .option('all', { type: 'boolean', default: false, describe: 'write every part as FILE.partN (or FILE.data), the names list --format mkimage uses, beside FILE or in -o DIR' })
    .option('force', { type: 'boolean', default: false, describe: 'extract even when a check fails' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', QUIET_OPTION) as unknown as Argv<ExtractArgs>;
}

/** Copy parts out. A script's part 0 is the script text (dumpimage gives the size table too). */
export async function extractCommand(ctx: Context, a: ExtractArgs): Promise<number> {
  if (!a.all && a.output === undefined) {
    throw new UimgError('USAGE', 'extract needs -o OUT (or --all)', { field: 'output' }, 'uimg extract IMAGE -p N -o OUT');
  }
  if (a.all && a.output === STDIO_PATH) {
    throw new UimgError('USAGE', '--all writes one file per part: -o names their directory, not -', { field: 'output', actual: '-' }, 'give -o DIR, or -p N -o - for one part');
  }
  const part = parseNumberFlag(a.part, 'part', { max: 0xffff });
  const file = displayPath(a.file);
  return withImage(ctx, a.file, async (r, src) => {
    const problem = problemsOf(r).find((e) => e.code !== 'TRAILING_BYTES');
    if (problem && !a.force) throw problem.withFile(file);
    const count = r.subImages ? r.subImages.length : 1;
    // --all names each part after the image, beside it or in -o DIR (made if missing, when its parent exists).
    const dir = a.all && a.output !== undefined ? await openOutputDir(a.output, 'output') : undefined;
    const named = (index: number) => {
      const name = r.subImages ? `${a.file}.part${index}` : `${a.file}.data`;
      return a.output === undefined ? name : join(a.output, basename(name));
    };
    try {
      const parts = (a.all ? Array.from({ length: count }, (_, i) => i) : [part]).map((index) => {
        try {
          return { index, range: partRange(r, index), path: a.all ? named(index) : a.output! };
        } catch (e) {
          throw e instanceof UimgError ? e.withFile(file) : e;
        }
      });
      const progress = startProgress(ctx.io, `extract ${file}`, parts.reduce((n, p) => n + p.range.length, 0), a.quiet);
      // Every part is written, or none: --all leaves no half set behind.
      await withOutputs(ctx, parts, async (sinks) => {
        for (const [i, { range }] of parts.entries()) {
          const sink = countedSink(sinks[i]!, progress);
          for await (const c of src.chunks(range.offset, range.length)) await sink.write(c);
        }
      }).finally(() => progress.done());
      const written = parts.map(({ index, path, range }) => ({ index, file: displayPath(path), offset: range.offset, size: range.length }));
      if (a.json) printJson(ctx, { ok: true, file, script: r.header.type === IH_TYPE.SCRIPT, parts: written });
      summary(ctx, a, parts.map((p) => p.path), `${file}: ${written.map((w) => `part ${w.index} to ${w.file} (${w.size} bytes)`).join(', ')}`);
      return EXIT.OK;
    } catch (e) {
      await dir?.discard();
      throw e;
    }
  }, { progress: 'check', quiet: a.quiet });
}
