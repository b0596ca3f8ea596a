/**
 * What mkimage and dumpimage share, as U-Boot's imagetool.c does: opening the image to read, the verify-and-print
 * sequence of -l with its messages, and dumpimage's extraction through a descriptor (src/tools).
 */
import type { ByteSource } from '../bytes/source.js';
import { readU32BE } from '../bytes/endian.js';
import { FDT_MAGIC } from '../formats/fdt/fdt.js';
import { HEADER_SIZE } from '../formats/uimage/header.js';
import { atomicFileSink, type FileSource } from '../node/file.js';
import type { TimeZone } from '../time/tz.js';
import { IMAGE_TOOLS, type ImageTool } from '../tools/index.js';
import { Exit, openInput, strerror, type Stdio } from './system.js';

export const VERSION = '2023.01';

export type Fail = (message: string, code?: number) => never;

/** verify_header's return value as the process exit status (exit(-9) is 247). */
const exitStatus = (code: number) => code & 0xff;

/** Open an image to list, with mkimage's messages for a missing, short, empty or directory file. */
export async function openListed(imagefile: string, typed: boolean, fail: Fail,
  badSize: (n: number) => string, quote = (f: string) => f): Promise<FileSource> {
  let opened: FileSource | { directory: true };
  try {
    opened = await openInput(imagefile);
  } catch (e) {
    return fail(`Can't open ${quote(imagefile)}: ${strerror(e)}`);
  }
  if ('directory' in opened) return fail(`Can't read ${quote(imagefile)}: No such device`);
  if (opened.size === 0 && !typed) {
    await opened.close();
    return fail(`Can't read ${quote(imagefile)}: Invalid argument`);
  }
  if (opened.size < HEADER_SIZE) {
    await opened.close();
    // Untyped, mkimage would guess another format or crash (SIGBUS on a 63-byte prefix of an image).
    return fail(badSize(opened.size));
  }
  return opened;
}

export interface ListRequest {
  image: string;
  /** The -T descriptor, or undefined to try every descriptor in mkimage's order. */
  tool?: ImageTool;
  quiet: boolean;
  timeZone: TimeZone;
}

/**
 * imagetool_verify_print_header: with a descriptor, verify and print or say "verify_header failed"; without one,
 * the first descriptor that accepts the file prints it. Where mkimage would then guess further vendor formats (and
 * print a bogus "GP Header" with exit 0), this says why the file is neither a FIT nor a legacy image.
 */
export async function verifyAndPrint(src: ByteSource, req: ListRequest, io: Stdio, fail: Fail): Promise<number> {
  const tried = req.tool ? [req.tool] : IMAGE_TOOLS;
  const verdicts = [];
  for (const tool of tried) {
    const verdict = await tool.verify(src);
    for (const w of verdict.warnings) io.stderr(`${w}\n`);
    if (verdict.code === 0) {
      if (!req.quiet) io.stdout(tool.print(verdict.report, req.timeZone));
      return 0;
    }
    verdicts.push({ tool, verdict });
  }
  if (req.tool) fail(`verify_header failed for ${req.tool.name} with exit code ${verdicts[0]!.verdict.code}`, exitStatus(verdicts[0]!.verdict.code));
  // A device tree is judged as a FIT, anything else as a legacy image.
  const fdt = readU32BE(await src.read(0, 4), 0) === FDT_MAGIC;
  const { tool, verdict } = verdicts.find((v) => (v.tool.id === 'fit') === fdt)!;
  const what = tool.id === 'fit' ? 'FIT' : 'legacy image';
  return fail(`${req.image}: not a valid ${what}: ${verdict.problem!.describe()}`, exitStatus(verdict.code));
}

export interface ExtractRequest {
  image: string;
  tool: ImageTool;
  position: number;
  outfile: string;
  timeZone: TimeZone;
}

/** dumpimage_extract_subimage: verify, ask the descriptor where the component is, write it (mode 0600). */
export async function extractSubimage(argv0: string, src: ByteSource, req: ExtractRequest, io: Stdio): Promise<number> {
  const cantExtract = (code: number): never => {
    io.stderr(`${argv0}: Can't extract subimage from ${req.image}\n`);
    throw new Exit(code);
  };
  const verdict = await req.tool.verify(src);
  for (const w of verdict.warnings) io.stderr(`${w}\n`);
  if (verdict.code !== 0) {
    io.stderr(`${argv0}: failed to verify header of ${req.tool.name}\n`);
    return cantExtract(255);
  }
  const extractFailed = (): never => {
    io.stderr(`${argv0}: extract_subimage failed for ${req.tool.name}\n`);
    return cantExtract(253);
  };
  const plan = req.tool.extract(verdict.report, req.position, req.image, req.timeZone);
  if (plan.preface) io.stdout(plan.preface);
  if ('refusal' in plan) {
    io[plan.refusal.stream](`${plan.refusal.named ? `${argv0}: ` : ''}${plan.refusal.text}\n`);
    return extractFailed();
  }
  let sink;
  try {
    sink = await atomicFileSink(req.outfile, { mode: 0o600 });
  } catch (e) {
    io.stderr(`Can't open "${req.outfile}": ${strerror(e)}\n`);
    return extractFailed();
  }
  try {
    if ('bytes' in plan) await sink.write(plan.bytes);
    else for await (const c of src.chunks(plan.range.offset, plan.range.length)) await sink.write(c);
    await sink.commit();
  } finally {
    await sink.abort();
  }
  return 0;
}
