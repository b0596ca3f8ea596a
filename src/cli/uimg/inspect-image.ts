/** list, verify and extract: read an image, then show it, judge it or copy a part out. */
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { HEADER_SIZE } from '../../formats/uimage/header.js';
import { partRange, problemsOf, readImage, type ImageReport } from '../../formats/uimage/image.js';
import { formatListingBytes } from '../../formats/uimage/listing.js';
import { IH_TYPE } from '../../formats/uimage/tables.js';
import { localTimeZone } from '../../node/env.js';
import { type Context, EXIT, displayPath, openSource, parseNumberFlag, printJson, withOutputs } from './common.js';
import { mkimageCommand, reportJson } from './describe.js';

async function withImage<T>(ctx: Context, path: string, use: (r: ImageReport, src: Awaited<ReturnType<typeof openSource>>) => Promise<T>): Promise<T> {
  const src = await openSource(ctx, path);
  const file = displayPath(path);
  try {
    if (src.size < HEADER_SIZE) {
      throw new UimgError('TRUNCATED', `${file}: ${src.size} bytes is shorter than a uImage header (64)`,
        { file, field: 'header', expected: HEADER_SIZE, actual: src.size }, 'the file is cut short or is not a uImage');
    }
    return await use(await readImage(src), src);
  } finally {
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

/** Show headers. The header must be sound (magic, header CRC); data problems are reported but do not hide it. */
export async function listCommand(ctx: Context, a: ListArgs): Promise<number> {
  const format = a.json ? 'json' : a.format;
  const images: object[] = [];
  let code: number = EXIT.OK;
  for (const path of a.files) {
    const file = displayPath(path);
    await withImage(ctx, path, async (r) => {
      const problems = problemsOf(r).map((e) => e.withFile(file));
      const untrusted = problems.find((e) => e.code === 'BAD_MAGIC' || e.code === 'HEADER_CRC_MISMATCH');
      if (untrusted) throw untrusted;
      if (problems.length) code = EXIT.INVALID;
      if (format === 'json') {
        images.push({ ...reportJson(file, r), problems: problems.map((e) => e.toJSON()) });
        return;
      }
      for (const p of problems) ctx.io.stderr(`uimg: ${p.describe()}\n`);
      if (format === 'mkimage') {
        const { command, problems: cmdProblems } = mkimageCommand(file, r);
        for (const p of cmdProblems) ctx.io.stderr(`uimg: warning: ${p}\n`);
        ctx.io.stdout(command + '\n');
        return;
      }
      if (a.files.length > 1) ctx.io.stdout(`${file}:\n`);
      ctx.io.stdout(formatListingBytes(r.header, { timeZone: localTimeZone(ctx.env), subImages: r.subImages }));
    });
  }
  if (format === 'json') printJson(ctx, { ok: code === EXIT.OK, images });
  return code;
}

export interface VerifyArgs { files: string[]; json: boolean; allowTrailing: boolean }

export function verifyBuilder(y: Argv): Argv<VerifyArgs> {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true })
    .option('allow-trailing', { type: 'boolean', default: false, describe: 'accept bytes after the data (flash padding)' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<VerifyArgs>;
}

const CHECKS = ['magic', 'header-crc', 'size', 'data-crc', 'trailing-bytes', 'size-table'] as const;
const CHECK_OF: Record<string, (typeof CHECKS)[number]> = {
  BAD_MAGIC: 'magic', HEADER_CRC_MISMATCH: 'header-crc', DATA_CRC_MISMATCH: 'data-crc', TRAILING_BYTES: 'trailing-bytes',
};

/** Every check with its verdict; exit 4 when any fails. */
export async function verifyCommand(ctx: Context, a: VerifyArgs): Promise<number> {
  const results: object[] = [];
  let allOk = true;
  for (const path of a.files) {
    const file = displayPath(path);
    await withImage(ctx, path, async (r) => {
      const problems = problemsOf(r).filter((e) => !(a.allowTrailing && e.code === 'TRAILING_BYTES')).map((e) => e.withFile(file));
      const failed = new Map(problems.map((e) => [
        CHECK_OF[e.code] ?? (e.data.field === 'size table' ? 'size-table' : 'size'), e] as const));
      const headerBad = failed.has('magic') || failed.has('header-crc');
      const checks = CHECKS
        .filter((c) => c !== 'size-table' || r.subImages)
        .map((check) => ({
          check,
          status: failed.has(check) ? 'fail' : headerBad && check !== 'magic' && check !== 'header-crc' ? 'skipped' : 'ok',
          ...(failed.get(check) ? { error: failed.get(check)!.toJSON() } : {}),
        }));
      const ok = problems.length === 0;
      allOk &&= ok;
      if (a.json) {
        results.push({ file, ok, checks });
        return;
      }
      for (const c of checks) {
        const err = failed.get(c.check);
        ctx.io.stdout(`${file}: ${c.check}: ${c.status.toUpperCase()}${err ? ` - ${err.describe()}` : ''}\n`);
      }
      // stdout is the report; stderr says that the file failed, as every uimg command does.
      if (!ok) ctx.io.stderr(`uimg: ${problems[0]!.describe()}\n`);
    });
  }
  if (a.json) printJson(ctx, { ok: allOk, results });
  return allOk ? EXIT.OK : EXIT.INVALID;
}

export interface ExtractArgs { file: string; part: string; output?: string; all: boolean; force: boolean; json: boolean }

export function extractBuilder(y: Argv): Argv<ExtractArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true })
    .option('part', { alias: 'p', type: 'string', default: '0', describe: 'part to extract (multi/script: sub-image; else 0)' })
    .option('output', { alias: 'o', type: 'string', describe: 'where to write (- for stdout)' })
    .option('all', { type: 'boolean', default: false, describe: 'write every part as FILE.partN (or FILE.data), the names list --format mkimage uses' })
    .option('force', { type: 'boolean', default: false, describe: 'extract even when a check fails' })
    .option('json', { type: 'boolean', default: false }) as unknown as Argv<ExtractArgs>;
}

/** Copy parts out. A script's part 0 is the script text (dumpimage gives the size table too). */
export async function extractCommand(ctx: Context, a: ExtractArgs): Promise<number> {
  if (!a.all && a.output === undefined) {
    throw new UimgError('USAGE', 'extract needs -o OUT (or --all)', { field: 'output' }, 'uimg extract IMAGE -p N -o OUT');
  }
  const part = parseNumberFlag(a.part, 'part', { max: 0xffff });
  const file = displayPath(a.file);
  return withImage(ctx, a.file, async (r, src) => {
    const problem = problemsOf(r).find((e) => e.code !== 'TRAILING_BYTES');
    if (problem && !a.force) throw problem.withFile(file);
    const count = r.subImages ? r.subImages.length : 1;
    const parts = (a.all ? Array.from({ length: count }, (_, i) => i) : [part]).map((index) => {
      try {
        return { index, range: partRange(r, index), path: a.all ? (r.subImages ? `${a.file}.part${index}` : `${a.file}.data`) : a.output! };
      } catch (e) {
        throw e instanceof UimgError ? e.withFile(file) : e;
      }
    });
    // Every part is written, or none: --all leaves no half set behind.
    await withOutputs(ctx, parts, async (sinks) => {
      for (const [i, { range }] of parts.entries()) {
        for await (const c of src.chunks(range.offset, range.length)) await sinks[i]!.write(c);
      }
    });
    const written = parts.map(({ index, path, range }) => ({ index, file: displayPath(path), offset: range.offset, size: range.length }));
    if (a.json) printJson(ctx, { ok: true, file, script: r.header.type === IH_TYPE.SCRIPT, parts: written });
    return EXIT.OK;
  });
}
