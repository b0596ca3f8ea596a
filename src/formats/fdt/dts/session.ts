/**
 * What one compilation shares: the messages dtc would print to stderr (in its words, in its order), whether an error
 * was seen, the `-i` search paths and the file-reading function the caller passes in (the core never touches a file
 * system itself).
 */
import { UimgError } from '../../../errors.js';
import type { SourcePosition } from '../tree.js';

/** Reads a whole file: its bytes, or the reason it could not (strerror's text, e.g. "No such file or directory"). */
export type ReadFile = (path: string) => Uint8Array | string;

/** dtc's `file:line.col-col` (srcpos_string). */
export function positionString(p: SourcePosition): string {
  if (p.firstLine !== p.lastLine) return `${p.file}:${p.firstLine}.${p.firstColumn}-${p.lastLine}.${p.lastColumn}`;
  if (p.firstColumn !== p.lastColumn) return `${p.file}:${p.firstLine}.${p.firstColumn}-${p.lastColumn}`;
  return `${p.file}:${p.firstLine}.${p.firstColumn}`;
}

/**
 * How a compilation failed, as dtc fails: the lines it printed before giving up (`messages`), the FATAL ERROR text
 * (the error's message) or the final line of a failed check run, and dtc's exit status (1, or 2 for check errors).
 */
export function dtcFailure(message: string, exitCode: 1 | 2, messages: readonly string[], pos?: SourcePosition, fatal = true): UimgError {
  return new UimgError(
    'BAD_DTS',
    message,
    {
      ...(pos ? { file: pos.file, line: pos.firstLine, column: pos.firstColumn } : {}),
      exitCode,
      messages: [...messages],
      fatal,
    },
    pos ? `at ${positionString(pos)}` : undefined,
  );
}

export class DtsSession {
  readonly messages: string[] = [];
  /** dtc's treesource_error: set by lexical and semantic errors, which do not stop parsing. */
  hadError = false;
  private firstError: SourcePosition | undefined;

  constructor(
    readonly readFile: ReadFile,
    readonly searchPaths: readonly string[] = [],
  ) {}

  /** `Error: pos message` (or `Lexical error: ...`); parsing goes on and fails at the end. */
  error(prefix: 'Error' | 'Lexical error', pos: SourcePosition, message: string): void {
    this.messages.push(`${prefix}: ${positionString(pos)} ${message}`);
    this.hadError = true;
    this.firstError ??= pos;
  }

  warn(line: string): void {
    this.messages.push(line);
  }

  /** dtc's die(): `FATAL ERROR: message`, exit 1. */
  fatal(message: string, pos?: SourcePosition): never {
    throw dtcFailure(message, 1, this.messages, pos ?? this.firstError);
  }

  /**
   * Open a file named in the source as dtc does: relative to `dir` (the including file's directory; the name
   * alone when there is none), then each search path in turn; an absolute name is used as it is.
   */
  open(name: string, dir: string | undefined, pos: SourcePosition): { path: string; bytes: Uint8Array } {
    if (name === '-') this.fatal('Reading standard input from a source file is not supported', pos);
    const join = (d: string | undefined) => (d === undefined || name.startsWith('/') ? name : d.endsWith('/') ? d + name : `${d}/${name}`);
    let reason = 'No such file or directory';
    for (const d of [dir, ...this.searchPaths]) {
      const path = join(d);
      const got = this.readFile(path);
      if (typeof got !== 'string') return { path, bytes: got };
      reason = got;
      if (d === undefined && this.searchPaths.length === 0) break;
    }
    this.fatal(`Couldn't open "${name}": ${reason}`, pos);
  }
}
