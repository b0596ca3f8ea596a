/**
 * The 64-byte big-endian legacy uImage header: decode and encode side by side. Decoding only reads fields; checking
 * them (magic, header CRC) is checkHeader(), so a caller can still look at a broken header.
 */
import { Parser } from 'binary-parser';
import { crc32 } from '../../bytes/crc32.js';
import { readU32BE, writeU32BE } from '../../bytes/endian.js';
import { UimgError, hex32 } from '../../errors.js';

export const HEADER_SIZE = 64;
export const UIMAGE_MAGIC = 0x27051956;
export const NAME_SIZE = 32;

/** Whether `head` holds a whole header that opens with the uImage magic (checkHeader then judges its CRC). */
export const isUImageHeader = (head: Uint8Array): boolean => head.length >= HEADER_SIZE && readU32BE(head, 0) === UIMAGE_MAGIC;

export interface UImageHeader {
  magic: number;
  headerCrc: number;
  /** Seconds since the epoch, unsigned 32-bit. */
  time: number;
  dataSize: number;
  load: number;
  entry: number;
  dataCrc: number;
  os: number;
  arch: number;
  type: number;
  comp: number;
  /** The name field's 32 raw bytes. */
  nameBytes: Uint8Array;
}

/** The fields a writer chooses; magic, size and both CRCs follow from the data. */
export type HeaderFields = Omit<UImageHeader, 'magic' | 'headerCrc' | 'dataSize' | 'dataCrc'>;

const headerParser = new Parser()
  .uint32be('magic')
  .uint32be('headerCrc')
  .uint32be('time')
  .uint32be('dataSize')
  .uint32be('load')
  .uint32be('entry')
  .uint32be('dataCrc')
  .uint8('os')
  .uint8('arch')
  .uint8('type')
  .uint8('comp')
  .buffer('nameBytes', { length: NAME_SIZE, clone: true });

export function decodeHeader(bytes: Uint8Array): UImageHeader {
  if (bytes.length < HEADER_SIZE) {
    throw new UimgError('TRUNCATED', `a uImage header is ${HEADER_SIZE} bytes, got ${bytes.length}`, {
      field: 'header',
      expected: HEADER_SIZE,
      actual: bytes.length,
    }, 'the file is cut short or is not a uImage');
  }
  const h = headerParser.parse(bytes.subarray(0, HEADER_SIZE)) as UImageHeader;
  h.nameBytes = new Uint8Array(h.nameBytes);
  return h;
}

export function encodeHeader(h: Omit<UImageHeader, 'magic' | 'headerCrc'>): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeU32BE(out, 0, UIMAGE_MAGIC);
  writeU32BE(out, 8, h.time);
  writeU32BE(out, 12, h.dataSize);
  writeU32BE(out, 16, h.load);
  writeU32BE(out, 20, h.entry);
  writeU32BE(out, 24, h.dataCrc);
  out[28] = h.os;
  out[29] = h.arch;
  out[30] = h.type;
  out[31] = h.comp;
  out.set(h.nameBytes.subarray(0, NAME_SIZE), 32);
  writeU32BE(out, 4, headerCrcOf(out));
  return out;
}

/** CRC-32 of the 64 header bytes with the CRC field itself taken as zero. */
export function headerCrcOf(headerBytes: Uint8Array): number {
  const copy = headerBytes.slice(0, HEADER_SIZE);
  copy.fill(0, 4, 8);
  return crc32(copy);
}

/** The name field as mkimage fills it: the first 32 bytes, zero-padded, no terminator when 32 or longer. */
export function nameField(name: string | Uint8Array): Uint8Array {
  const bytes = typeof name === 'string' ? new TextEncoder().encode(name) : name;
  const field = new Uint8Array(NAME_SIZE);
  field.set(bytes.subarray(0, NAME_SIZE));
  return field;
}

/** The name bytes up to the first NUL (at most 32), which is what U-Boot prints. */
export function nameBytesOf(h: Pick<UImageHeader, 'nameBytes'>): Uint8Array {
  const nul = h.nameBytes.indexOf(0);
  return h.nameBytes.subarray(0, nul < 0 ? NAME_SIZE : nul);
}

/** The name as text (UTF-8, invalid sequences replaced). */
export function nameOf(h: Pick<UImageHeader, 'nameBytes'>): string {
  return new TextDecoder().decode(nameBytesOf(h));
}

/** Magic then header CRC, the order U-Boot checks them in; throws the first that fails. */
export function checkHeader(h: UImageHeader, headerBytes: Uint8Array): void {
  if (h.magic !== UIMAGE_MAGIC) {
    throw new UimgError('BAD_MAGIC', `bad magic: expected ${hex32(UIMAGE_MAGIC)}, found ${hex32(h.magic)}`, {
      field: 'ih_magic',
      offset: 0,
      expected: hex32(UIMAGE_MAGIC),
      actual: hex32(h.magic),
    }, 'not a legacy uImage (a FIT starts with d00dfeed; a raw kernel has no uImage header)');
  }
  const computed = headerCrcOf(headerBytes);
  if (computed !== h.headerCrc) {
    throw new UimgError('HEADER_CRC_MISMATCH',
      `header CRC mismatch: header says ${hex32(h.headerCrc)}, computed ${hex32(computed)}`, {
        field: 'ih_hcrc',
        offset: 4,
        expected: hex32(h.headerCrc),
        actual: hex32(computed),
      }, 'the header was edited or damaged; recreate the image');
  }
}
