/**
 * The FDT header (40 bytes, ten big-endian u32 words), the token values of the structure block, and the header
 * checks libfdt makes before anything else (fdt_check_header): magic, version, and every block inside totalsize.
 */
import { readU32BE, writeU32BE } from '../../bytes/endian.js';
import { fdtError, type FdtError } from './error.js';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_HEADER_SIZE = 40;
/** Where dtc and libfdt put the reservation map: the header rounded up to 8. */
export const FDT_RSVMAP_OFFSET = 40;
export const FDT_RESERVE_ENTRY_SIZE = 16;
export const FDT_BEGIN_NODE = 1;
export const FDT_END_NODE = 2;
export const FDT_PROP = 3;
export const FDT_NOP = 4;
export const FDT_END = 9;
export const FDT_TAGSIZE = 4;
/** Oldest version uimg reads: 16 (no size_dt_struct) and 17; libfdt also reads 2..15, which nothing writes today. */
export const FDT_FIRST_READ_VERSION = 16;
export const FDT_LAST_SUPPORTED_VERSION = 17;

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  sizeDtStruct: number;
}

export interface FdtReservation {
  address: bigint;
  size: bigint;
}

const FIELDS = ['magic', 'totalSize', 'offDtStruct', 'offDtStrings', 'offMemRsvmap', 'version', 'lastCompVersion',
  'bootCpuidPhys', 'sizeDtStrings', 'sizeDtStruct'] as const;

/** The header's ten words; `b` must hold at least 40 bytes. */
export function decodeFdtHeader(b: Uint8Array): FdtHeader {
  const h = {} as FdtHeader;
  FIELDS.forEach((f, i) => (h[f] = readU32BE(b, 4 * i)));
  return h;
}

export function encodeFdtHeader(h: FdtHeader, into: Uint8Array = new Uint8Array(FDT_HEADER_SIZE)): Uint8Array {
  FIELDS.forEach((f, i) => writeU32BE(into, 4 * i, h[f]));
  return into;
}

/** The header field at a byte offset, for messages. */
export function fdtHeaderField(offset: number): string {
  return FIELDS[offset >> 2] ?? 'header';
}

export function isFdt(head: Uint8Array): boolean {
  return head.length >= FDT_HEADER_SIZE && readU32BE(head, 0) === FDT_MAGIC;
}

export const alignTag = (n: number): number => (n + FDT_TAGSIZE - 1) & ~(FDT_TAGSIZE - 1);

/** The structure block's length: version 16 has no size_dt_struct, so the block may run to totalsize. */
export function fdtStructSize(h: FdtHeader): number {
  return h.version >= 17 ? h.sizeDtStruct : Math.max(0, h.totalSize - h.offDtStruct);
}

/**
 * What libfdt's fdt_check_header says of a header on its own, as a typed error naming the field, or undefined.
 * Blocks must start at or after the header and end at or before totalsize (they may touch it).
 */
export function checkFdtHeader(h: FdtHeader): FdtError | undefined {
  const bad = (code: Parameters<typeof fdtError>[0], what: string, offset: number, expected: string, actual: number) =>
    fdtError(code, what, offset, { field: fdtHeaderField(offset), expected, actual });
  if (h.magic !== FDT_MAGIC) return bad('BADMAGIC', `bad magic 0x${h.magic.toString(16)}`, 0, '0xd00dfeed', h.magic);
  if (h.version < FDT_FIRST_READ_VERSION) {
    return bad('BADVERSION', `version ${h.version}: only versions ${FDT_FIRST_READ_VERSION} and 17 are read`, 20, '16 or 17', h.version);
  }
  // A version-17 reader reads a blob whose last compatible version is 17 or older (and not newer than its version).
  if (h.lastCompVersion > FDT_LAST_SUPPORTED_VERSION || h.version < h.lastCompVersion) {
    return bad('BADVERSION', `last compatible version ${h.lastCompVersion} (version ${h.version}) is not readable as version 17`, 24,
      `<= ${Math.min(17, h.version)}`, h.lastCompVersion);
  }
  if (h.totalSize < FDT_HEADER_SIZE || h.totalSize > 0x7fffffff) {
    return bad('TRUNCATED', `totalsize ${h.totalSize} is outside 40..2^31-1`, 4, '40..0x7fffffff', h.totalSize);
  }
  const inside = (off: number) => off >= FDT_HEADER_SIZE && off <= h.totalSize;
  if (!inside(h.offMemRsvmap)) {
    return bad('TRUNCATED', `the reservation map offset ${h.offMemRsvmap} lies outside the blob (totalsize ${h.totalSize})`, 16, `40..${h.totalSize}`, h.offMemRsvmap);
  }
  if (!inside(h.offDtStruct) || (h.version >= 17 && !inside(h.offDtStruct + h.sizeDtStruct))) {
    return bad('TRUNCATED', `the structure block (${h.sizeDtStruct} bytes at ${h.offDtStruct}) lies outside totalsize ${h.totalSize}`, 8,
      `a block inside 40..${h.totalSize}`, h.offDtStruct);
  }
  if (!inside(h.offDtStrings) || !inside(h.offDtStrings + h.sizeDtStrings)) {
    return bad('TRUNCATED', `the strings block (${h.sizeDtStrings} bytes at ${h.offDtStrings}) lies outside totalsize ${h.totalSize}`, 12,
      `a block inside 40..${h.totalSize}`, h.offDtStrings);
  }
  return undefined;
}

/** Names are byte strings: one JS character per byte (latin1), so every name survives a round trip. */
export function nameFromBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** A name's bytes (one per character); characters above U+00FF have no byte and are refused. */
export function nameToBytes(name: string): Uint8Array {
  const b = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) throw fdtError('BADVALUE', `the name ${JSON.stringify(name)} has a character above U+00FF`, 0, { field: 'name' }, 'device-tree names are bytes: give ASCII');
    b[i] = c;
  }
  return b;
}
