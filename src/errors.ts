/**
 * Typed errors: a stable `code`, structured `data` and a `hint`, so callers branch on codes, CLIs print one clear
 * line, and errors survive JSON (worker or process boundaries) through toJSON().
 */
export const ErrorCodes = [
  'BAD_MAGIC',
  'HEADER_CRC_MISMATCH',
  'DATA_CRC_MISMATCH',
  'TRUNCATED',
  'TRAILING_BYTES',
  'SIZE_LIMIT',
  'CORRUPT_STREAM',
  'UNSUPPORTED_COMPRESSION',
  'TIMED_OUT',
  'ABORTED',
  'UNKNOWN_NAME',
  'BAD_VALUE',
  'EMPTY_INPUT',
  'XIP_TOO_SMALL',
  'XIP_BAD_PADDING',
  'NO_SUCH_PART',
  'UNSUPPORTED_TYPE',
  'NOT_A_FILE',
  'IO_ERROR',
  'USAGE',
  /** Input whose structure does not parse: a damaged archive field, a bad list line, corrupt compressed data. */
  'MALFORMED',
  'BAD_LAYOUT',
  'UNBOOTABLE',
  'BAD_SCRIPT',
  /** A key or certificate that cannot be read or used (encrypted, unknown algorithm, bad DER). */
  'BAD_KEY',
  /** Device-tree source dtc would refuse: a syntax error, a bad reference, a failed check (data has file, line, column). */
  'BAD_DTS',
  /** A bug: an error uimg did not expect (exit 1). */
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export interface ErrorData {
  file?: string;
  field?: string;
  offset?: number;
  expected?: string | number;
  actual?: string | number;
  /** The names `actual` could have been (a table or a layout's kinds), so a front end can say which is closest. */
  choices?: readonly string[];
  [key: string]: unknown;
}

export class UimgError extends Error {
  override readonly name = 'UimgError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data: ErrorData = {},
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The same error about a named file: the message gains the file name in front. */
  withFile(file: string): UimgError {
    if (this.data.file !== undefined) return this;
    return new UimgError(this.code, `${file}: ${this.message}`, { ...this.data, file }, this.hint);
  }

  /** One line for humans: message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message} (hint: ${this.hint})` : this.message;
  }

  toJSON(): { code: ErrorCode; message: string; data: ErrorData; hint?: string } {
    return { code: this.code, message: this.message, data: this.data, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isUimgError(e: unknown): e is UimgError {
  return e instanceof UimgError;
}

/** Hex as people write addresses and CRCs: 0x + 8 lower-case digits. */
export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/** Text from an input, fit for a one-line message: control characters escaped, cut after `max` characters. */
export function clip(text: string, max = 60): string {
  const chars = [...text.replace(/[\x00-\x1f\x7f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))];
  return chars.length > max ? chars.slice(0, max).join('') + '…' : chars.join('');
}
