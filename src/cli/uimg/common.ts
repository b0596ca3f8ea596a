/** What every uimg command shares: exit codes, error reporting, JSON output, and '-' for stdin/stdout. */
import { fromBytes, type ByteSink, type ByteSource } from '../../bytes/source.js';
import { UimgError, isUimgError, type ErrorCode } from '../../errors.js';
import { atomicFileSink, fileSource, type AtomicFileSink } from '../../node/file.js';
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

/** A file-system error as a UimgError naming the file. */
export function ioError(e: unknown, file: string, doing: string): UimgError {
  if (isUimgError(e)) return e.withFile(file);
  const errno = (e as { code?: string }).code;
  const hint = errno === 'ENOENT' ? 'check the path' : errno === 'EACCES' ? 'check the permissions' : undefined;
  return new UimgError('IO_ERROR', `${file}: cannot ${doing}: ${strerror(e)}`, { file, actual: errno ?? 'error' }, hint);
}

export interface Context {
  io: Stdio;
  env: NodeJS.ProcessEnv;
  /** Reads all of stdin (only for '-'). */
  readStdin(): Promise<Uint8Array>;
}

/** Wraps a command so its errors are reported and its exit code kept (index.ts makes it; nested commands use it). */
export type Handler = <A>(command: (ctx: Context, a: A) => Promise<number>) => (a: A) => Promise<void>;

export interface OpenedSource extends ByteSource {
  close(): Promise<void>;
}

/** Open an input; '-' is stdin, read whole (a pipe cannot be re-read or sized up front). */
export async function openSource(ctx: Context, path: string): Promise<OpenedSource> {
  if (path === STDIO_PATH) {
    const src = fromBytes(await ctx.readStdin());
    return { ...src, close: async () => undefined };
  }
  try {
    return await fileSource(path);
  } catch (e) {
    throw ioError(e, path, 'open');
  }
}

export interface OpenedSink extends ByteSink {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Open an output; '-' is stdout, streamed (it cannot be patched, so image writers take their two-pass path). */
export async function openSink(ctx: Context, path: string): Promise<OpenedSink> {
  if (path === STDIO_PATH) {
    return {
      write: async (c) => ctx.io.stdout(c.slice()),
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }
  let sink: AtomicFileSink;
  try {
    sink = await atomicFileSink(path);
  } catch (e) {
    throw ioError(e, path, 'create');
  }
  return sink;
}

export function printJson(ctx: Context, value: object): void {
  ctx.io.stdout(JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, null, 2) + '\n');
}

/** Print an error as one line (or JSON) and give its exit code. */
export function reportError(ctx: Context, e: unknown, json: boolean): number {
  const err = isUimgError(e) ? e : new UimgError('IO_ERROR', strerror(e));
  if (json) printJson(ctx, { ok: false, error: err.toJSON() });
  else ctx.io.stderr(`uimg: ${err.describe()}\n`);
  return isUimgError(e) ? exitCodeFor(err) : EXIT.INTERNAL;
}

/** An address as mkimage reads it (hex, 0x optional), but refusing what mkimage would silently truncate. */
export function parseAddress(value: string, flag: string): number {
  const m = /^(0[xX])?([0-9a-fA-F]{1,8})$/.exec(value.trim());
  if (!m) {
    throw new UimgError('BAD_VALUE', `--${flag}: '${value}' is not a 32-bit hex address`,
      { field: flag, expected: 'hex, at most 8 digits, e.g. 0x80008000', actual: value },
      'addresses are hexadecimal, with or without 0x, as in mkimage');
  }
  return parseInt(m[2]!, 16) >>> 0;
}
