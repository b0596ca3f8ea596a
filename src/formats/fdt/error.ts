/**
 * Device-tree errors: a UimgError that also carries libfdt's error name (FDT_ERR_NOSPACE, ...), so code ported from
 * libfdt callers (mkimage retries on NOSPACE, fdtput prints `Error at 'x': FDT_ERR_NOTFOUND`) can branch on the
 * same condition, and every message names the offset and what is wrong.
 */
import { UimgError, type ErrorCode, type ErrorData } from '../../errors.js';

/** libfdt's error names with their numbers (libfdt.h: FDT_ERR_NOTFOUND = 1, ...). */
export const FDT_ERRORS = {
  NOTFOUND: 1, EXISTS: 2, NOSPACE: 3, BADOFFSET: 4, BADPATH: 5, BADPHANDLE: 6, BADSTATE: 7, TRUNCATED: 8,
  BADMAGIC: 9, BADVERSION: 10, BADSTRUCTURE: 11, BADLAYOUT: 12, INTERNAL: 13, BADNCELLS: 14, BADVALUE: 15,
} as const;
export type FdtErrorName = keyof typeof FDT_ERRORS;

const UIMG_CODE: Record<FdtErrorName, ErrorCode> = {
  NOTFOUND: 'NO_SUCH_PART', EXISTS: 'BAD_VALUE', NOSPACE: 'SIZE_LIMIT', BADOFFSET: 'MALFORMED', BADPATH: 'BAD_VALUE',
  BADPHANDLE: 'MALFORMED', BADSTATE: 'INTERNAL', TRUNCATED: 'TRUNCATED', BADMAGIC: 'BAD_MAGIC',
  BADVERSION: 'UNSUPPORTED_TYPE', BADSTRUCTURE: 'MALFORMED', BADLAYOUT: 'MALFORMED', INTERNAL: 'INTERNAL',
  BADNCELLS: 'MALFORMED', BADVALUE: 'BAD_VALUE',
};

export class FdtError extends UimgError {
  /** libfdt's name for the condition: 'NOSPACE' is FDT_ERR_NOSPACE. */
  readonly fdtCode: FdtErrorName;
  constructor(fdtCode: FdtErrorName, message: string, data: ErrorData = {}, hint?: string) {
    super(UIMG_CODE[fdtCode], message, { field: 'fdt', ...data, fdtError: `FDT_ERR_${fdtCode}` }, hint);
    this.fdtCode = fdtCode;
  }

  /** libfdt's negative return value for this error (-FDT_ERR_NOSPACE is -3). */
  get libfdtCode(): number {
    return -FDT_ERRORS[this.fdtCode];
  }

  override withFile(file: string): FdtError {
    if (this.data.file !== undefined) return this;
    return new FdtError(this.fdtCode, `${file}: ${this.message}`, { ...this.data, file }, this.hint);
  }
}

export function isFdtError(e: unknown, code?: FdtErrorName): e is FdtError {
  return e instanceof FdtError && (code === undefined || e.fdtCode === code);
}

/** A device-tree problem at a file offset: `what` says what is wrong there. */
export function fdtError(code: FdtErrorName, what: string, offset: number, extra: ErrorData = {}, hint?: string): FdtError {
  return new FdtError(code, `${what} (at offset ${offset})`, { offset, ...extra },
    hint ?? (code === 'NOSPACE' ? 'open the blob into a bigger buffer' : 'the blob is damaged or not a DTB: dtc -I dtb -O dts shows where'));
}
