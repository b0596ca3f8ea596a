/** What every uimg command shares: exit codes, error reporting, JSON output, and '-' for stdin/stdout. */
import { type Stats } from 'node:fs';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { fromBytes, type ByteSource } from '../../bytes/source.js';
import { UimgError, isUimgError, type ErrorCode } from '../../errors.js';
import { atomicFileSink, fileSource, type AtomicFileSink } from '../../node/file.js';
import { parseByteCount } from '../../numbers.js';
import { didYouMean } from '../suggest.js';
import { strerror, type Stdio } from '../system.js';

/** Exit codes (documented in the README). */
export const EXIT = {
  OK: 0,
  /** Unexpected failure: a bug. */
  INTERNAL: 1,
  /** Bad command line: unknown flag or name, missing argument. */
  USAGE: 2,
  /** A file could not be read or written. */
  IO: 3,
  /** The image or data is invalid: bad magic, CRC mismatch, truncated, trailing bytes, empty input... */
  INVALID: 4,
} as const;

export const JSON_SCHEMA_VERSION = 1;

/** -q/--quiet, as every command that prints on success takes it: nothing on stdout, no progress bar. */
export const QUIET_OPTION = { alias: 'q', type: 'boolean', default: false, describe: 'print nothing on success (no summary, no progress bar)' } as const;

/** How '-' (stdin/stdout) reaches the commands: yargs drops a lone '-' from positionals, so it is renamed first. */
export const STDIO_PATH = '\0stdio';

export const displayPath = (path: string) => (path === STDIO_PATH ? '-' : path);

const INVALID_CODES: ErrorCode[] = [
  'BAD_MAGIC', 'HEADER_CRC_MISMATCH', 'DATA_CRC_MISMATCH', 'TRUNCATED', 'TRAILING_BYTES', 'SIZE_LIMIT',
  'EMPTY_INPUT', 'XIP_TOO_SMALL', 'XIP_BAD_PADDING', 'NO_SUCH_PART', 'UNSUPPORTED_TYPE', 'MALFORMED', 'BAD_LAYOUT', 'UNBOOTABLE', 'BAD_SCRIPT',
  'CORRUPT_STREAM', 'UNSUPPORTED_COMPRESSION', 'TIMED_OUT', 'ABORTED',
];

export function exitCodeFor(e: UimgError): number {
  if (e.code === 'IO_ERROR' || e.code === 'NOT_A_FILE') return EXIT.IO;
  if (e.code === 'USAGE' || e.code === 'UNKNOWN_NAME' || e.code === 'BAD_VALUE') return EXIT.USAGE;
  return INVALID_CODES.includes(e.code) ? EXIT.INVALID : EXIT.INTERNAL;
}

const ERRNO_HINTS: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the permissions',
  EISDIR: 'name a file, not a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOSPC: 'the disk is full',
  EEXIST: 'a file of that name is in the way',
};

/** A file-system error as a UimgError naming the file. */
export function ioError(e: unknown, file: string, doing: string): UimgError {
  if (isUimgError(e)) return e.withFile(file);
  const errno = (e as { code?: string }).code;
  return new UimgError('IO_ERROR', `${file}: cannot ${doing}: ${strerror(e)}`, { file, actual: errno ?? 'error' }, errno ? ERRNO_HINTS[errno] : undefined);
}

export interface Context {
  io: Stdio;
  env: NodeJS.ProcessEnv;
  /** Reads all of stdin (only for '-'). */
  readStdin(): Promise<Uint8Array>;
  /** Every input file read so far, by `dev:ino`, so that no output replaces one. */
  inputs: Map<string, string>;
  /** --json was given: stdout carries the JSON report, so no data may go there. */
  json?: boolean;
}

/** Wraps a command so its errors are reported and its exit code kept (index.ts makes it; nested commands use it). */
export type Handler = <A>(command: (ctx: Context, a: A) => Promise<number>) => (a: A) => Promise<void>;

export interface OpenedSource extends ByteSource {
  close(): Promise<void>;
}

const inodeKey = (st: Stats) => `${st.dev}:${st.ino}`;

/**
 * Check and remember an input file: it must be there and not be a directory (which opens, then fails at the first
 * read), and no output may replace it later. Returns its size.
 */
export async function noteInput(ctx: Context, path: string, opts: { allowEmpty?: boolean } = {}): Promise<number> {
  const st = await stat(path).catch((e) => { throw ioError(e, path, 'open'); });
  if (st.isDirectory()) {
    throw new UimgError('NOT_A_FILE', `${path}: is a directory, not a file`, { file: path, expected: 'a file', actual: 'a directory' },
      'name a file inside it');
  }
  if (!st.isFile()) {
    // A device or pipe stats as 0 bytes, and may never end (/dev/zero): its size cannot be trusted or bounded up front.
    const kind = st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a pipe' : 'a socket';
    throw new UimgError('NOT_A_FILE', `${path}: is ${kind}, not a regular file: its size is unknown`, { file: path, expected: 'a regular file', actual: kind },
      'copy the bytes you mean into a file first, e.g. dd if=DEVICE of=image bs=1M count=N');
  }
  if (st.size === 0 && !opts.allowEmpty) throw emptyInput(path);
  ctx.inputs.set(inodeKey(st), path);
  return st.size;
}

/**
 * Remember files a library reads by itself (the files of a cpio list), so that no output replaces one either.
 * Returns their total size (for a progress bar).
 */
export async function rememberInputs(ctx: Context, paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const path of paths) {
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) {
      ctx.inputs.set(inodeKey(st), path);
      total += st.size;
    }
  }
  return total;
}

const emptyInput = (file: string) =>
  new UimgError('EMPTY_INPUT', `${file}: the file is empty`, { file, expected: 'at least 1 byte', actual: 0 }, 'an interrupted copy or the wrong file?');

/** Open an input; '-' is stdin, read whole (a pipe cannot be re-read or sized up front). Empty inputs are refused unless allowed. */
export async function openSource(ctx: Context, path: string, opts: { allowEmpty?: boolean } = {}): Promise<OpenedSource> {
  if (path === STDIO_PATH) {
    const bytes = await ctx.readStdin();
    if (bytes.length === 0 && !opts.allowEmpty) throw emptyInput('-');
    return { ...fromBytes(bytes), close: async () => undefined };
  }
  await noteInput(ctx, path, opts);
  try {
    return await fileSource(path);
  } catch (e) {
    throw ioError(e, path, 'open');
  }
}

export interface OutputOptions {
  /** The flag that named the output, for messages (default 'output'). */
  flag?: string;
  /** Mode of a new file (before umask). */
  mode?: number;
}

/**
 * Open an output; '-' is stdout, streamed (it cannot be patched, so image writers take their two-pass path; commit and
 * abort do nothing). A file is written beside its target and renamed into place on commit; an output that is one of
 * the inputs is refused.
 */
export async function openSink(ctx: Context, path: string, opts: OutputOptions = {}): Promise<AtomicFileSink> {
  if (path === STDIO_PATH) {
    if (ctx.json) {
      // The data and the report would be one stream that no reader can take apart.
      const flag = opts.flag ?? 'output';
      throw new UimgError('USAGE', `--${flag} - and --json both write to stdout: the data would be mixed with the report`,
        { field: flag, actual: '-' }, `write the data to a file (--${flag} FILE), or drop --json`);
    }
    return {
      write: async (c) => ctx.io.stdout(c.slice()),
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }
  const flag = opts.flag ?? 'output';
  if (path === '') throw badFlagValue(flag, path, 'a file name', 'a path to write', `give --${flag} FILE, or - for stdout`);
  const st = await stat(path).catch(() => undefined);
  const input = st && ctx.inputs.get(inodeKey(st));
  if (input !== undefined) {
    throw new UimgError('USAGE', `--${flag}: '${path}' is the input ${input}: uimg never writes over its input`,
      { file: path, field: flag, expected: 'a file that is not an input', actual: path }, 'write to another file, then rename it');
  }
  if (st?.isDirectory()) {
    throw new UimgError('NOT_A_FILE', `${path}: is a directory, not a file (--${flag})`, { file: path, field: flag, expected: 'a file', actual: 'a directory' },
      'name the file to write inside it');
  }
  let sink: AtomicFileSink;
  try {
    sink = await atomicFileSink(path, opts.mode !== undefined ? { mode: opts.mode } : {});
  } catch (e) {
    throw ioError(e, path, 'create');
  }
  const named = <A extends unknown[]>(doing: string, f: (...args: A) => Promise<void>) => async (...args: A) => {
    try {
      await f(...args);
    } catch (e) {
      throw ioError(e, path, doing);
    }
  };
  return { write: named('write', sink.write), ...(sink.patch ? { patch: named('write', sink.patch) } : {}), commit: named('write', sink.commit), abort: sink.abort };
}

/**
 * Outputs that appear together or not at all: `use` writes every sink, then all are renamed into place; on any
 * failure every temporary file is removed and no target is touched.
 */
export async function withOutputs<T>(ctx: Context, outputs: readonly ({ path: string } & OutputOptions)[], use: (sinks: AtomicFileSink[]) => Promise<T>): Promise<T> {
  const sinks: AtomicFileSink[] = [];
  try {
    for (const o of outputs) sinks.push(await openSink(ctx, o.path, o));
    const result = await use(sinks);
    for (const s of sinks) await s.commit();
    return result;
  } finally {
    await Promise.all(sinks.map((s) => s.abort()));
  }
}

/** A whole input file, refused past `limit` bytes: environment texts, scripts, DTBs. */
export async function readWhole(ctx: Context, path: string, limit: number, what: string, opts: { allowEmpty?: boolean } = {}): Promise<Uint8Array> {
  const src = await openSource(ctx, path, opts);
  try {
    if (src.size > limit) {
      throw new UimgError('SIZE_LIMIT', `${displayPath(path)}: ${src.size} bytes is too large for ${what}`,
        { file: displayPath(path), expected: `<= ${limit}`, actual: src.size }, `${what} is at most ${limit} bytes: is this the right file?`);
    }
    return (await src.read(0, src.size)).slice();
  } finally {
    await src.close();
  }
}

/**
 * A directory to write into: an existing one, or a new one (its parent must exist: a mistyped path is not quietly
 * made). `discard` removes a directory made here, when a failure leaves it empty.
 */
export async function openOutputDir(path: string, flag: string): Promise<{ discard(): Promise<void> }> {
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) return { discard: async () => undefined };
  if (st) {
    throw new UimgError('NOT_A_FILE', `${path}: is a file, not a directory (--${flag})`, { file: path, field: flag, expected: 'a directory', actual: 'a file' },
      'name a new or existing directory');
  }
  await mkdir(path).catch((e) => { throw ioError(e, path, 'create the directory'); });
  return { discard: () => rmdir(path).catch(() => undefined) };
}

/** One output written from bytes in memory. */
export const writeWhole = (ctx: Context, path: string, bytes: Uint8Array, opts: OutputOptions = {}): Promise<void> =>
  withOutputs(ctx, [{ path, ...opts }], async ([sink]) => sink!.write(bytes));

/**
 * The one line a command that wrote files ends with, on stdout: nothing with --quiet or --json (the JSON says it),
 * nor when an output is stdout itself (the data is there).
 */
export function summary(ctx: Context, a: { quiet?: boolean; json?: boolean }, outputs: readonly string[], text: string): void {
  if (a.quiet || a.json || outputs.some((o) => o === STDIO_PATH || o === '-')) return;
  ctx.io.stdout(oneLine(text) + '\n');
}

export function printJson(ctx: Context, value: object): void {
  ctx.io.stdout(JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, null, 2) + '\n');
}

/** An error as a UimgError: a file-system error that escaped names its file (exit 3); anything else is a bug (exit 1). */
function asUimgError(e: unknown): UimgError {
  if (isUimgError(e)) return e;
  const fsError = e as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof fsError.code === 'string' && typeof fsError.path === 'string') return ioError(e, fsError.path, String(fsError.syscall ?? 'use'));
  return new UimgError('INTERNAL', `internal error: ${strerror(e)}`, {}, 'this is a bug in uimg: please report it with the command line');
}

/**
 * An error that names the value it refused and the names it could have been (`data.choices`: a table name, a layout
 * field or kind) gets the closest one in its hint, whatever command or library raised it.
 */
function withSuggestion(err: UimgError): UimgError {
  const { actual, choices } = err.data;
  if (typeof actual !== 'string' || !Array.isArray(choices) || err.hint?.startsWith('did you mean')) return err;
  const suggestion = didYouMean(actual.replace(/^"(.*)"$/, '$1'), choices.map(String));
  if (!suggestion) return err;
  return new UimgError(err.code, err.message, err.data, err.hint ? `${suggestion} ${err.hint}` : suggestion);
}

/** Print an error as one line (or JSON) and give its exit code. */
export function reportError(ctx: Context, e: unknown, json: boolean): number {
  const err = withSuggestion(asUimgError(e));
  if (json) printJson(ctx, { ok: false, error: err.toJSON() });
  else ctx.io.stderr(`uimg: ${oneLine(err.describe())}\n`);
  return exitCodeFor(err);
}

/**
 * Every file of a multi-file command (list, verify, inspect), each on its own: a file that cannot be read or is not
 * what the command reads is reported about that file (one stderr line, or `{file, error}` in --json through
 * `failed`), and the next goes on. Returns the worst exit code.
 */
export async function eachFile(ctx: Context, paths: readonly string[], json: boolean, use: (path: string, file: string) => Promise<number>,
  failed: (file: string, error: UimgError) => void): Promise<number> {
  let code: number = EXIT.OK;
  for (const path of paths) {
    const file = displayPath(path);
    try {
      code = Math.max(code, await use(path, file));
    } catch (e) {
      const err = withSuggestion(asUimgError(e));
      if (err.code === 'INTERNAL') throw e;
      const named = err.data.file === undefined ? err.withFile(file) : err;
      code = Math.max(code, exitCodeFor(named));
      if (json) failed(file, named);
      else ctx.io.stderr(`uimg: ${oneLine(named.describe())}\n`);
    }
  }
  return code;
}

/** Messages are one line, whatever a value or a library put in them. */
export const oneLine = (text: string) => text.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ');

/** What tells one number flag from another: the range it takes. */
export interface NumberFlagOptions {
  /** Refuse 0: sizes and lengths. */
  positive?: boolean;
  /** The largest value taken (default: the largest exact integer). */
  max?: number;
  /** Added to the standard hint, e.g. what the value means. */
  hint?: string;
}

const NUMBER_SYNTAX = 'decimal, 0x hex, or with a K/M/G suffix (4096, 0x1000, 4K)';

/** The one message shape for a flag value: `--flag: 'value' is not ...: expected ...`, with data and a hint. */
export function badFlagValue(flag: string, value: string, noun: string, expected: string, hint: string): UimgError {
  return new UimgError('BAD_VALUE', `--${flag}: '${value}' is not ${noun}: expected ${expected}`,
    { field: flag, expected, actual: value }, hint);
}

/**
 * A number from the command line, written as in layouts: decimal, 0x hex, or with a K/M/G (binary) suffix. Every
 * uimg count, size and address flag reads through here, except mkimage-style hex addresses (parseAddress).
 */
export function parseNumberFlag(value: string | number, flag: string, opts: NumberFlagOptions = {}): number {
  const n = parseByteCount(value);
  const min = opts.positive ? 1 : 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (n !== undefined && n >= min && n <= max) return n;
  const text = String(value);
  const shown = (x: number) => (x > 0xffff ? `${x} (0x${x.toString(16)})` : String(x));
  const range = opts.max !== undefined ? `from ${min} to ${shown(max)}` : opts.positive ? 'above 0' : '';
  if (n === undefined) {
    const hint = /^[0-9a-f]*[a-f][0-9a-f]*$/i.test(text.trim()) ? 'hexadecimal needs its 0x prefix here' : 'K, M and G are binary: 4K is 4096';
    throw badFlagValue(flag, text, 'a number', range ? `${NUMBER_SYNTAX}, ${range}` : NUMBER_SYNTAX, opts.hint ? `${hint}; ${opts.hint}` : hint);
  }
  throw badFlagValue(flag, text, `a number ${range}`, n < min ? `at least ${min}` : `at most ${shown(max)}`,
    opts.hint ?? (n < min ? `--${flag} of 0 would mean nothing` : `${shown(n)} is more than --${flag} can hold`));
}

/** An address as mkimage reads it (hex, 0x optional), but refusing what mkimage would silently truncate. */
export function parseAddress(value: string, flag: string, bits: 32 | 48 = 32): number {
  const digits = bits / 4;
  const m = new RegExp(`^(0[xX])?([0-9a-fA-F]{1,${digits}})$`).exec(value.trim());
  if (!m) {
    throw badFlagValue(flag, value, `a ${bits}-bit hex address`, `hex, at most ${digits} digits, e.g. 0x80008000`,
      'addresses are hexadecimal, with or without 0x, as in mkimage');
  }
  return parseInt(m[2]!, 16);
}
