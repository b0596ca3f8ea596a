/**
 * The cpio "newc" header (magic 070701) and its "crc" twin (070702), as the Linux initramfs unpacker reads them
 * (Documentation/driver-api/early-userspace/buffer-format.rst): 110 ASCII bytes, thirteen 8-digit hex fields.
 */
import { UimgError } from '../../errors.js';

export const NEWC_MAGIC = '070701';
export const CRC_MAGIC = '070702';
export const NEWC_HEADER_SIZE = 110;
export const TRAILER_NAME = 'TRAILER!!!';
/** The kernel refuses longer names and symlink targets (PATH_MAX, counting the NUL). */
export const PATH_MAX = 4096;

/** st_mode file types. */
export const S_IFMT = 0o170000;
export const FILE_TYPES = {
  fifo: 0o010000,
  chr: 0o020000,
  dir: 0o040000,
  blk: 0o060000,
  reg: 0o100000,
  lnk: 0o120000,
  sock: 0o140000,
} as const;
export type FileType = keyof typeof FILE_TYPES;

export function fileTypeOf(mode: number): FileType | undefined {
  const t = mode & S_IFMT;
  return (Object.keys(FILE_TYPES) as FileType[]).find((k) => FILE_TYPES[k] === t);
}

export interface NewcHeader {
  /** 'crc' (070702) carries a byte-sum of the file data in `check`. */
  format: 'newc' | 'crc';
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  fileSize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** Length of the name including its NUL. */
  nameSize: number;
  check: number;
}

/** Field order after the magic: each is 8 hex digits. */
const FIELDS = [
  'ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'fileSize', 'devMajor', 'devMinor', 'rdevMajor', 'rdevMinor', 'nameSize',
  'check',
] as const;

const MAX_U32 = 0xffffffff;

/** 110 bytes; hex in upper case, as gen_init_cpio writes it. */
export function encodeNewcHeader(h: NewcHeader): Uint8Array {
  let text = h.format === 'crc' ? CRC_MAGIC : NEWC_MAGIC;
  for (const f of FIELDS) {
    const v = h[f];
    if (!Number.isInteger(v) || v < 0 || v > MAX_U32) {
      throw new UimgError('BAD_VALUE', `cpio header field ${f} = ${v} does not fit 8 hex digits`,
        { field: f, expected: `0..${MAX_U32}`, actual: v }, f === 'mtime' ? 'cpio times end in 2106' : undefined);
    }
    text += v.toString(16).toUpperCase().padStart(8, '0');
  }
  const out = new Uint8Array(NEWC_HEADER_SIZE);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** True when the bytes start with a newc or crc magic. */
export function isNewcMagic(b: Uint8Array, at = 0): boolean {
  if (b.length < at + 6) return false;
  for (let i = 0; i < 5; i++) if (b[at + i] !== NEWC_MAGIC.charCodeAt(i)) return false;
  return b[at + 5] === 0x31 || b[at + 5] === 0x32;
}

function hexField(b: Uint8Array, at: number, field: string, offset: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = b[at + i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
    if (d < 0) {
      throw new UimgError('MALFORMED', `cpio header at ${offset}: field ${field} is not 8 hex digits`,
        { field, offset: offset + at, expected: '8 hex digits', actual: String.fromCharCode(...b.subarray(at, at + 8)) },
        'the archive is damaged or not newc (cpio -H newc)');
    }
    v = v * 16 + d;
  }
  return v;
}

/** Decode 110 header bytes; `offset` (the header's place in the archive) only labels errors. */
export function decodeNewcHeader(b: Uint8Array, offset = 0): NewcHeader {
  if (b.length < NEWC_HEADER_SIZE) {
    throw new UimgError('TRUNCATED', `cpio header at ${offset}: ${b.length} of ${NEWC_HEADER_SIZE} bytes`,
      { field: 'header', offset, expected: NEWC_HEADER_SIZE, actual: b.length }, 'the archive is cut short');
  }
  if (!isNewcMagic(b)) {
    const found = String.fromCharCode(...b.subarray(0, 6)).replace(/[^\x20-\x7e]/g, '.');
    throw new UimgError('BAD_MAGIC', `cpio header at ${offset}: magic '${found}', expected 070701 or 070702`,
      { field: 'magic', offset, expected: '070701', actual: found },
      found.startsWith('0707') ? 'only the newc and crc formats are read (cpio -H newc), not odc or binary'
        : 'not a newc cpio archive (a compressed one must be decompressed first)');
  }
  const h = { format: b[5] === 0x32 ? 'crc' : 'newc' } as NewcHeader;
  FIELDS.forEach((f, i) => (h[f] = hexField(b, 6 + i * 8, f, offset)));
  return h;
}

/** Bytes of NUL padding that bring `n` to a multiple of 4. */
export const pad4 = (n: number) => (4 - (n & 3)) & 3;

/** The 32-bit byte sum of the crc format, continued over one more chunk. */
export function byteSum(sum: number, chunk: Uint8Array): number {
  let s = sum;
  for (let i = 0; i < chunk.length; i++) s += chunk[i]!;
  return s >>> 0;
}
