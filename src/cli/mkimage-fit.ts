/**
 * mkimage's FIT path (-f auto, -f FILE.its, -F) for the drop-in: U-Boot 2023.01's steps, messages and exit codes
 * (fit.md §2, §3, §5, §6) around the library's buildFit. Only arguments, files and messages live here.
 */
import { readFile, stat } from 'node:fs/promises';
import { fromBytes, type ByteSource } from '../bytes/source.js';
import { isUimgError } from '../errors.js';
import { FdtBlob } from '../formats/fit/blob.js';
import { buildAutoFit, type AutoFitInput } from '../formats/fit/auto.js';
import { buildFit, buildFitFromRope, type BuildFitOptions, type BuiltFit } from '../formats/fit/build.js';
import { Rope } from '../formats/fit/rope.js';
import { atomicFileSink, fileSource, type FileSource } from '../node/file.js';
import { Exit, strerror, type Stdio } from './system.js';

export interface FitParams {
  /** 'auto', an .its path, or undefined for -F. */
  source?: string;
  imagefile: string;
  datafile?: string;
  dtbs: string[];
  ramdisk?: string;
  /** The FIT's main image type and the rest of -f auto's parameters. */
  arch: number;
  os: number;
  type: number;
  comp: number;
  load: number;
  entry: number;
  name: string;
  dtcOpts: string;
  external: boolean;
  align: number;
  position: number;
  keyDir?: string;
  keyDest?: string;
  keyNameHint?: string;
  keyFile?: string;
  comment?: string;
  requireKeys: boolean;
  algo?: string;
  resetTimestamp: boolean;
  quiet: boolean;
  /** Seconds for timestamps (SOURCE_DATE_EPOCH or now); `epochInvalid` prints mkimage's warning. */
  time: number;
  epochInvalid: boolean;
}

/** Compiles an .its to a DTB (the DTS compiler), or reports dtc's messages. */
export type ItsCompiler = (its: string, dtcOpts: string) => Promise<{ blob: Uint8Array; stderr: string } | { stderr: string }>;

export interface FitCliHooks {
  compileIts: ItsCompiler;
  /** mkimage's verify + listing of the written file: stdout text, or the verify_header failure. */
  list: (file: string) => Promise<{ listing: Uint8Array; warnings: string } | { failed: string }>;
}

const TMPFILE_MAX = 256;

export async function fitMain(argv0: string, p: FitParams, hooks: FitCliHooks, io: Stdio, usage: (m: string) => never): Promise<number> {
  const bad = () => usage('Bad parameters for FIT image type');
  if (p.imagefile.length + '.tmp'.length + 1 > TMPFILE_MAX) {
    io.stderr(`${p.imagefile}: Image file name (${argv0}) too long, can't create tmpfile.\n`);
    bad();
  }
  const opened: FileSource[] = [];
  try {
    const compiled = await compile(argv0, p, hooks, io, opened);
    if (!compiled) return bad();
    const keyDest = p.keyDest !== undefined ? await openKeyDest(argv0, p.keyDest, io) : undefined;
    const opts: BuildFitOptions = {
      timestamp: p.source !== undefined || p.resetTimestamp ? p.time : undefined,
      keyDest: keyDest ?? undefined,
      signing: {
        keyDir: p.keyDir, keyFile: p.keyFile, comment: p.comment, requireKeys: p.requireKeys, algo: p.algo, time: p.time,
        readKeyFile: async (path) => readFile(path, 'utf8').then((text) => ({ text }), (e) => ({ error: strerror(e) })),
      },
      external: p.external ? { align: p.align, position: p.position } : undefined,
    };
    if (p.epochInvalid) io.stderr(`${argv0}: SOURCE_DATE_EPOCH is not valid\n`);
    let built: BuiltFit;
    if (keyDest === null) built = { code: -5, failed: 'process', notes: [] };
    else built = compiled instanceof Rope ? await buildFitFromRope(compiled, opts) : await buildFit(compiled, opts);
    for (const n of built.notes) (n.stream === 'stdout' ? io.stdout : io.stderr)(n.text);
    if (built.code !== 0 || !built.output) {
      if (built.failed === 'process') io.stderr(`${argv0} Can't add hashes to FIT blob: ${built.code}\n`);
      return bad();
    }
    await writeRope(p.imagefile, built.output);
    if (keyDest) await writeRope(p.keyDest!, Rope.of(keyDest.image(), keyDest.rope.slice(keyDest.h.totalSize)));
    const listed = await hooks.list(p.imagefile);
    if ('failed' in listed) {
      io.stderr(`${argv0}: ${listed.failed}\n`);
      return 1;
    }
    io.stderr(listed.warnings);
    if (!p.quiet) io.stdout(listed.listing);
    if (built.summary) {
      io.stdout(`Signature written to '${p.imagefile}', node '${built.summary.signaturePath}'\n`);
      if (p.keyDest !== undefined) io.stdout(`Public key written to '${p.keyDest}', node '${built.summary.keyPath ?? '/'}'\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof Exit) throw e;
    if (isUimgError(e)) {
      io.stderr(`${argv0}: ${e.describe()}\n`);
      return 1;
    }
    throw e;
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

async function writeRope(path: string, rope: Rope): Promise<void> {
  const sink = await atomicFileSink(path);
  try {
    for await (const chunk of rope.chunks()) await sink.write(chunk);
    await sink.commit();
  } finally {
    await sink.abort();
  }
}

/** The key DTB, or null after mkimage's message when it cannot be used (mkimage then fails with -EIO). */
async function openKeyDest(argv0: string, path: string, io: Stdio): Promise<FdtBlob | null> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    io.stderr(`${argv0}: Can't open ${path}: ${strerror(e)}\n`);
    return null;
  }
  try {
    return await FdtBlob.fromSource(fromBytes(bytes));
  } catch (e) {
    if (!isUimgError(e)) throw e;
    io.stderr(`${argv0}: Invalid FIT blob\n`);
    return null;
  }
}

async function compile(argv0: string, p: FitParams, hooks: FitCliHooks, io: Stdio, opened: FileSource[]): Promise<Rope | ByteSource | undefined> {
  if (p.source === 'auto') return compileAuto(argv0, p, io, opened);
  if (p.source !== undefined) {
    const r = await hooks.compileIts(p.source, p.dtcOpts);
    io.stderr(r.stderr);
    if (!('blob' in r)) {
      io.stderr(`${argv0}: Can't open ${p.imagefile}.tmp: No such file or directory\n`);
      return undefined;
    }
    return fromBytes(r.blob);
  }
  // -F: the existing FIT.
  try {
    const src = await fileSource(p.imagefile);
    opened.push(src);
    return src;
  } catch (e) {
    io.stderr(`cp: cannot stat '${p.imagefile}': ${strerror(e)}\n`);
    io.stderr(`${argv0}: Can't open ${p.imagefile}.tmp: No such file or directory\n`);
    return undefined;
  }
}

async function compileAuto(argv0: string, p: FitParams, io: Stdio, opened: FileSource[]): Promise<Rope | undefined> {
  const failed = () => {
    io.stderr(`${argv0}: failed to build FIT\n`);
    return undefined;
  };
  // fit_calc_size stats the data file, the ramdisk, then each -b before anything is read.
  for (const f of [p.datafile!, ...(p.ramdisk !== undefined ? [p.ramdisk] : []), ...p.dtbs]) {
    try {
      await stat(f);
    } catch (e) {
      io.stderr(`${argv0}: Can't open ${f}: ${strerror(e)}\n`);
      return failed();
    }
  }
  const open = async (f: string): Promise<AutoFitInput | undefined> => {
    try {
      const source = await fileSource(f);
      opened.push(source);
      return { path: f, source };
    } catch (e) {
      io.stderr(`${argv0}: Can't open ${f}: ${strerror(e)}\n`);
      return undefined;
    }
  };
  const data = await open(p.datafile!);
  if (!data) return failed();
  if (p.keyNameHint !== undefined && p.algo === undefined) {
    io.stderr(`${argv0}: Algorithm name must be specified\n`);
    io.stderr(`${argv0}: Failed to build FIT image\n`);
    return failed();
  }
  const dtbs: AutoFitInput[] = [];
  for (const f of p.dtbs) {
    const d = await open(f);
    if (!d) return failed();
    dtbs.push(d);
  }
  const ramdisk = p.ramdisk !== undefined ? await open(p.ramdisk) : undefined;
  if (p.ramdisk !== undefined && !ramdisk) return failed();
  return buildAutoFit({
    arch: p.arch, os: p.os, type: p.type, comp: p.comp, load: p.load, entry: p.entry, name: p.name,
    data, dtbs, ramdisk, keyNameHint: p.keyNameHint, algo: p.algo,
  });
}
