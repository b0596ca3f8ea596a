/** What the CLIs share: their view of the process (testable), glibc's strerror texts, file opening with those texts. */
import { stat } from 'node:fs/promises';
import { fileSource, type FileSource } from '../node/file.js';

export interface Stdio {
  stdout(data: string | Uint8Array): void;
  stderr(data: string | Uint8Array): void;
  /** Set when stderr is a terminal: its width (and a clock, which tests replace), for progress bars. */
  readonly terminal?: { columns: number; now?: () => number } | undefined;
}

export const processStdio: Stdio = {
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  get terminal() {
    return process.stderr.isTTY ? { columns: process.stderr.columns || 80 } : undefined;
  },
};

/** A CLI finished early with this exit code (its messages are already printed). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  EFAULT: 'Bad address',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EEXIST: 'File exists',
  EMFILE: 'Too many open files',
  EIO: 'Input/output error',
  EFBIG: 'File too large',
  EBUSY: 'Device or resource busy',
  ETXTBSY: 'Text file busy',
};

export function strerror(e: unknown): string {
  const code = (e as { code?: string }).code;
  return (code && STRERROR[code]) ?? (e as Error).message ?? String(e);
}

/**
 * Open a data file as mkimage meets it: open() fails with the errno; a directory opens but cannot be mapped
 * (ENODEV), which the caller reports as "Can't read".
 */
export async function openInput(path: string): Promise<FileSource | { directory: true }> {
  const st = await stat(path);
  if (st.isDirectory()) return { directory: true };
  return fileSource(path);
}
