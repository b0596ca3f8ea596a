/**
 * The 32-bit ARM zImage (arch/arm/boot/compressed/head.S): magic 0x016F2818 at 0x24 in the kernel's byte order,
 * start and end addresses, the endianness word, and the extension table whose "kernel size" tag gives the
 * decompressed size and BSS size. The compressed payload ends at the size word the tag points to; where it starts is
 * not recorded, so it is found by validated magic after the table (the decompressor's own rodata holds decoys). A
 * DTB may be appended after `end`.
 */
import { readU32BE, readU32LE } from '../../bytes/endian.js';
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { hex32 } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import { findPayloads } from '../compressed/index.js';
import { FDT_HEADER_SIZE, FDT_MAGIC } from '../fdt/header.js';
import type { Decoded, DecodeOptions, FormatModule, Part } from '../types.js';

export const ZIMAGE_MAGIC = 0x016f2818;
export const ZIMAGE_ENDIAN_FLAG = 0x04030201;
/** At 0x34: an extension table exists, its offset at 0x38. */
export const ZIMAGE_TABLE_MARKER = 0x45454545;
/** "KLSZ": the kernel size record of the extension table. */
export const ZIMAGE_KERNEL_SIZE_TAG = 0x5a534c4b;
/** The traditional TEXT_OFFSET, assumed when a table does not record one. */
export const ARM_DEFAULT_TEXT_OFFSET = 0x8000;
const HEADER_BYTES = 0x40;
/** How many table words to search for the tag (the record has always been first; the count's meaning changed). */
const TABLE_SEARCH_WORDS = 8;
/** The decompressor's code and rodata before the payload: a few tens of KiB in real kernels. */
export const ZIMAGE_DEFAULT_SCAN_WINDOW = 256 << 10;

export interface ZImageKernelSize {
  /** File offset of the LE32 decompressed size: the last 4 bytes of the payload. */
  sizeOffset: number;
  decompressedSize: number;
  bssSize: number;
  /** TEXT_OFFSET the kernel was built with (Linux 6.1+). */
  textOffset?: number;
  /** The decompressor's malloc area (Linux 6.1+). */
  mallocSize?: number;
}

export interface ZImageArmHeader {
  endianness: 'little' | 'big';
  /** Starts with "MZ": an EFI stub kernel, also a PE/COFF file. */
  efiStub: boolean;
  /** Link address: 0 for the usual position-independent zImage. */
  start: number;
  /** Address of _edata: end - start is the zImage length without an appended DTB. */
  end: number;
  /** The word at 0x30, 0x04030201 in kernels that have it. */
  endianFlag: number;
  /** Offset of the extension table, when the marker at 0x34 says there is one. */
  tableOffset?: number;
  /** EFI stub kernels: where the PE header sits (the word at 0x3C). */
  peHeaderOffset?: number;
}

export interface ZImageArm extends ZImageArmHeader {
  /** end - start. */
  length: number;
  kernelSize?: ZImageKernelSize;
  payload?: { format: string; offset: number; length: number };
  appendedDtb?: { offset: number; totalSize: number };
  trailingBytes: number;
}

/** Which byte order the magic at 0x24 is in, or undefined when it is not a zImage. */
export function zImageEndianness(head: Uint8Array): 'little' | 'big' | undefined {
  if (head.length < 0x28) return undefined;
  if (readU32LE(head, 0x24) === ZIMAGE_MAGIC) return 'little';
  if (readU32BE(head, 0x24) === ZIMAGE_MAGIC) return 'big';
  return undefined;
}

export function isArmZImage(head: Uint8Array): boolean {
  return head.length >= HEADER_BYTES && zImageEndianness(head) !== undefined;
}

/** The fixed header words (the first 0x40 bytes). */
export function decodeArmZImageHeader(head: Uint8Array): ZImageArmHeader {
  const endianness = zImageEndianness(head) ?? 'little';
  const w = (o: number) => (endianness === 'little' ? readU32LE(head, o) : readU32BE(head, o));
  const efiStub = head[0] === 0x4d && head[1] === 0x5a;
  return {
    endianness,
    efiStub,
    start: w(0x28),
    end: w(0x2c),
    endianFlag: w(0x30),
    ...(w(0x34) === ZIMAGE_TABLE_MARKER ? { tableOffset: w(0x38) } : {}),
    ...(efiStub ? { peHeaderOffset: w(0x3c) } : {}),
  };
}

/** The kernel size record, searched for by its tag in the table's first words (the size itself lies elsewhere). */
export function decodeKernelSizeRecord(table: Uint8Array, little: boolean): Omit<ZImageKernelSize, 'decompressedSize'> | undefined {
  const w = (i: number) => (little ? readU32LE(table, 4 * i) : readU32BE(table, 4 * i));
  const words = Math.floor(table.length / 4);
  for (let i = 0; i < Math.min(TABLE_SEARCH_WORDS, words - 2); i++) {
    if (w(i) !== ZIMAGE_KERNEL_SIZE_TAG) continue;
    // The word before the tag is the record's count: 6 (whole record, 6.1+) carries TEXT_OFFSET and MALLOC_SIZE.
    const count = i > 0 ? w(i - 1) : 0;
    const rich = count >= 6 && i + 4 < words;
    return {
      sizeOffset: w(i + 1),
      bssSize: w(i + 2),
      ...(rich ? { textOffset: w(i + 3), mallocSize: w(i + 4) } : {}),
    };
  }
  return undefined;
}

/** Read a zImage: header, extension table, payload location and any appended DTB. */
export async function readArmZImage(src: ByteSource, opts: DecodeOptions = {}): Promise<{ zimage: ZImageArm; findings: Finding[] }> {
  const head = await src.read(0, HEADER_BYTES);
  const h = decodeArmZImageHeader(head);
  const little = h.endianness === 'little';
  const word = (o: number) => (little ? readU32LE(head, o) : readU32BE(head, o));
  const findings: Finding[] = [];
  const length = (h.end - h.start) >>> 0;
  const z: ZImageArm = { ...h, length, trailingBytes: 0 };
  if (h.end < h.start) {
    findings.push(finding('malformed', `end 0x${h.end.toString(16)} is below start 0x${h.start.toString(16)}`, 'the header is damaged', 0x2c));
    return { zimage: z, findings };
  }
  if (length > src.size) {
    findings.push(finding('truncated', `end - start says ${length} bytes, the file has ${src.size}`,
      'the zImage was cut short (bootz and AT91Bootstrap copy end - start bytes)', 0x2c));
  }
  if (h.endianFlag === byteSwapped(ZIMAGE_ENDIAN_FLAG)) {
    findings.push(finding('malformed', `the endianness word at 0x30 contradicts the magic's byte order (${h.endianness}-endian)`,
      'the header is damaged', 0x30));
  } else if (h.endianFlag !== ZIMAGE_ENDIAN_FLAG && h.tableOffset !== undefined) {
    // Kernels old enough to lack the flag have code at 0x30, but they also lack the table (marker at 0x34).
    findings.push(finding('malformed', `the endianness word at 0x30 is ${hex32(h.endianFlag)}, expected ${hex32(ZIMAGE_ENDIAN_FLAG)} (every kernel with an extension table has it)`,
      'the header is damaged: re-copy or rebuild the zImage', 0x30));
  }
  const imageEnd = Math.min(length, src.size);
  let record: ReturnType<typeof decodeKernelSizeRecord>;
  if (h.tableOffset !== undefined) {
    if (h.tableOffset < HEADER_BYTES || h.tableOffset + 16 > imageEnd) {
      findings.push(finding('malformed', `the extension table offset 0x${h.tableOffset.toString(16)} lies outside the zImage`, 'the header is damaged', 0x38));
    } else {
      const table = await src.read(h.tableOffset, 4 * (TABLE_SEARCH_WORDS + 4));
      record = decodeKernelSizeRecord(table, little);
      if (!record) {
        const word1 = little ? readU32LE(table, 4) : readU32BE(table, 4);
        findings.push(finding('ram-size-unknown',
          `the extension table at ${hex32(h.tableOffset)} (from 0x38) has no kernel size record: expected the tag ${hex32(ZIMAGE_KERNEL_SIZE_TAG)} ("KLSZ") at ${hex32(h.tableOffset + 4)}, found ${hex32(word1)}`,
          'the table pointer at 0x38 or the table is damaged: loaders (kexec-tools) fall back to guessing the decompressed size as 4x the zImage', h.tableOffset + 4));
      }
    }
  } else {
    findings.push(finding('ram-size-unknown',
      `no extension table (the word at 0x34 is ${hex32(word(0x34))}, not the marker ${hex32(ZIMAGE_TABLE_MARKER)}), so no kernel size record: the decompressed size is unknown`,
      'normal for kernels before 4.7; a newer one has a damaged header. Loaders (kexec-tools) guess the decompressed size as 4x the zImage', 0x34));
  }
  if (record) {
    const at = record.sizeOffset;
    if (at < HEADER_BYTES || at + 4 > imageEnd) {
      findings.push(finding(at >= HEADER_BYTES && at + 4 <= length ? 'truncated' : 'malformed',
        `the kernel size tag points at 0x${at.toString(16)}, outside the ${imageEnd}-byte zImage`, 'the table or the file is damaged', h.tableOffset));
    } else {
      // The payload's size trailer is little-endian whatever the kernel's byte order (gzip ISIZE, size_append).
      z.kernelSize = { ...record, decompressedSize: readU32LE(await src.read(at, 4), 0) };
    }
  }
  const window = opts.scanWindow ?? ZIMAGE_DEFAULT_SCAN_WINDOW;
  z.payload = await locatePayload(src, z, window);
  if (!z.payload && length <= src.size) {
    // Every zImage carries its compressed kernel: without one the decompressor has nothing to unpack.
    const { from, limit } = payloadRange(src, z);
    const end = Math.min(limit, from + window);
    findings.push(finding('malformed',
      `no compressed kernel in [${hex32(from)}, ${hex32(end)})${z.kernelSize ? ` before the size word at ${hex32(z.kernelSize.sizeOffset)}` : ''}: expected a gzip, bzip2, lzma, xz, lzo, lz4 or zstd stream whose header checks out, found none`,
      'the payload\'s header is damaged and the kernel cannot boot: re-copy or rebuild the zImage (uimg inspect --scan shows what is there)', from));
  }
  if (src.size > length) {
    const after = await readClamped(src, length, FDT_HEADER_SIZE);
    if (after.length >= 8 && readU32BE(after, 0) === FDT_MAGIC) {
      const totalSize = readU32BE(after, 4);
      z.appendedDtb = { offset: length, totalSize };
      z.trailingBytes = Math.max(0, src.size - length - totalSize);
    } else {
      z.trailingBytes = src.size - length;
    }
    if (z.trailingBytes > 0) {
      findings.push(finding('trailing-bytes', `${z.trailingBytes} bytes follow the zImage${z.appendedDtb ? ' and its appended DTB' : ''}`,
        'loaders copy end - start bytes (plus an appended DTB\'s totalsize); the rest is ignored', src.size - z.trailingBytes));
    }
  }
  return { zimage: z, findings };
}

function byteSwapped(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Where the payload must lie: after the header (or table), before the size word (or the zImage's end). */
function payloadRange(src: ByteSource, z: ZImageArm): { from: number; limit: number } {
  const from = z.tableOffset !== undefined && z.tableOffset >= HEADER_BYTES ? z.tableOffset : HEADER_BYTES;
  return { from, limit: Math.min(z.kernelSize?.sizeOffset ?? z.length, src.size) };
}

/**
 * The compressed stream: the first validated candidate between the header (or table) and the size word. With a
 * size tag the stream ends at (gzip: just after) the size word; without one, at the zImage's end (an overestimate).
 */
async function locatePayload(src: ByteSource, z: ZImageArm, window: number): Promise<ZImageArm['payload']> {
  const { from, limit } = payloadRange(src, z);
  if (limit <= from) return undefined;
  const bytes = await readClamped(src, from, Math.min(limit - from, window));
  const [first] = findPayloads(bytes, { maxCandidates: 1 });
  if (!first) return undefined;
  const offset = from + first.offset;
  // gzip's own trailer is the size word; for the others the build appended it after the stream.
  const end = z.kernelSize && first.format === 'gzip' ? limit + 4 : limit;
  return { format: first.format, offset, length: end - offset };
}

async function decodeZImage(src: ByteSource, opts?: DecodeOptions): Promise<Decoded<ZImageArm>> {
  const { zimage: z, findings } = await readArmZImage(src, opts);
  const parts: Part[] = [];
  if (z.payload) {
    parts.push({
      name: 'payload', offset: z.payload.offset, length: z.payload.length, format: z.payload.format,
      ...(z.kernelSize ? { uncompressedSize: z.kernelSize.decompressedSize, sizeSource: 'zimage-size-tag' } : {}),
    });
  }
  if (z.appendedDtb) {
    parts.push({ name: 'appended DTB', offset: z.appendedDtb.offset, length: Math.min(z.appendedDtb.totalSize, src.size - z.appendedDtb.offset), format: 'fdt' });
  }
  const traits = [
    `${z.endianness}-endian`, ...(z.efiStub ? ['EFI stub'] : []), ...(z.payload ? [`${z.payload.format} payload`] : []),
    ...(z.appendedDtb ? ['appended DTB'] : []),
  ];
  return { format: 'zimage-arm', value: z, findings, parts, summary: `ARM Linux zImage, ${traits.join(', ')}`, arch: 'arm' };
}

export const zImageArmFormat: FormatModule<ZImageArm> = {
  id: 'zimage-arm',
  name: 'ARM Linux zImage',
  signatures: [{ bytes: [0x18, 0x28, 0x6f, 0x01], at: 0x24 }, { bytes: [0x01, 0x6f, 0x28, 0x18], at: 0x24 }],
  hexFields: ['start', 'end', 'endianFlag', 'tableOffset', 'peHeaderOffset', 'length', 'sizeOffset', 'textOffset', 'offset'],
  probe: (head) => isArmZImage(head),
  decode: decodeZImage,
};
