/**
 * xz (tukaani.org xz-file-format 1.2.1): the kernel writes one stream, CRC32 check, BCJ + LZMA2 filters. Its
 * headers carry CRC32s, so the probe checks them all: stream header, block header, and (when the stream's end lies
 * in range) footer and index, which also give the exact compressed length and uncompressed size.
 */
import { crc32 } from '../../bytes/crc32.js';
import { readU32LE } from '../../bytes/endian.js';
import { liblzmaSteps } from './liblzma.js';
import type { Codec, StreamShape } from './types.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const HEADER_SIZE = 12;
const FOOTER_SIZE = 12;
const FOOTER_MAGIC = [0x59, 0x5a]; // "YZ"
const LZMA2 = 0x21;
/** Filters that may precede LZMA2: delta and the branch converters (x86, PowerPC, IA-64, ARM, ARM-Thumb, SPARC, ARM64, RISC-V). */
const NON_LAST_FILTERS = new Set([0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b]);
const MAX_LZMA2_DICT_PROP = 40;

/** Size of the check field for each check type (0 none, 1 CRC32, 4 CRC64, 10 SHA-256; the rest reserved in groups of 3). */
const checkSize = (type: number) => (type === 0 ? 0 : 4 << Math.floor((type - 1) / 3));

/** A variable-length integer (7 bits a byte, low first, at most 9 bytes); undefined if malformed or past `end`. */
function readVli(b: Uint8Array, at: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 9 && at + i < end; i++) {
    const byte = b[at + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) {
      if (byte === 0 && i > 0) return undefined; // not the shortest encoding
      return Number.isSafeInteger(value) ? { value, next: at + i + 1 } : undefined;
    }
  }
  return undefined;
}

/** Stream flags: a zero byte, then the check type in the low nibble. */
const validFlags = (b: Uint8Array, at: number) => b[at] === 0 && (b[at + 1]! & 0xf0) === 0;

/** The block header at `at`: its size if its CRC32 and filter chain are valid. */
function blockHeaderSize(b: Uint8Array, at: number, end: number): number | undefined {
  if (at >= end || b[at] === 0) return undefined; // 0 would be an empty stream's index: nothing to decompress
  const size = (b[at]! + 1) * 4;
  if (at + size > end || crc32(b.subarray(at, at + size - 4)) !== readU32LE(b, at + size - 4)) return undefined;
  const flags = b[at + 1]!;
  if (flags & 0x3c) return undefined;
  const stop = at + size - 4;
  let p = at + 2;
  for (const present of [flags & 0x40, flags & 0x80]) {
    if (!present) continue;
    const v = readVli(b, p, stop);
    if (!v) return undefined;
    p = v.next;
  }
  const filters = (flags & 0x03) + 1;
  for (let i = 0; i < filters; i++) {
    const id = readVli(b, p, stop);
    const propsSize = id && readVli(b, id.next, stop);
    if (!id || !propsSize) return undefined;
    const last = i === filters - 1;
    if (last ? id.value !== LZMA2 || propsSize.value !== 1 || b[propsSize.next]! > MAX_LZMA2_DICT_PROP : !NON_LAST_FILTERS.has(id.value)) return undefined;
    p = propsSize.next + propsSize.value;
  }
  // The header padding is zeros; the first LZMA2 chunk must reset the dictionary (0x01 stored, or LZMA >= 0xE0).
  if (p > stop || b.subarray(p, stop).some((x) => x !== 0)) return undefined;
  const control = b[at + size];
  return control === undefined || control === 0x01 || control >= 0xe0 ? size : undefined;
}

/** The stream's end and size from a footer at `footer` and the index before it, if they agree with each other. */
function readTail(b: Uint8Array, start: number, footer: number): StreamShape | undefined {
  if (crc32(b.subarray(footer + 4, footer + 10)) !== readU32LE(b, footer)) return undefined;
  const indexSize = (readU32LE(b, footer + 4) + 1) * 4;
  const index = footer - indexSize;
  if (index < start + HEADER_SIZE || b[index] !== 0) return undefined;
  if (crc32(b.subarray(index, footer - 4)) !== readU32LE(b, footer - 4)) return undefined;
  const count = readVli(b, index + 1, footer - 4);
  if (!count) return undefined;
  const check = checkSize(b[start + 7]! & 0x0f);
  let p = count.next;
  let blocksSize = 0;
  let uncompressed = 0;
  for (let i = 0; i < count.value; i++) {
    const unpadded = readVli(b, p, footer - 4);
    const size = unpadded && readVli(b, unpadded.next, footer - 4);
    if (!unpadded || !size || unpadded.value < 5 + check) return undefined;
    blocksSize += Math.ceil(unpadded.value / 4) * 4;
    uncompressed += size.value;
    p = size.next;
  }
  if (start + HEADER_SIZE + blocksSize !== index) return undefined;
  return { compressedLength: footer + FOOTER_SIZE - start, uncompressedSize: uncompressed, sizeSource: 'xz-index' };
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (at + HEADER_SIZE > end || !MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  if (!validFlags(b, at + 6) || crc32(b.subarray(at + 6, at + 8)) !== readU32LE(b, at + 8)) return undefined;
  const blockSize = blockHeaderSize(b, at + HEADER_SIZE, end);
  if (blockSize === undefined) return undefined;
  // The first footer whose flags repeat the header's and whose CRC, index and sizes all agree ends the stream.
  for (let y = b.indexOf(FOOTER_MAGIC[0]!, at + HEADER_SIZE + blockSize + FOOTER_SIZE - 2); y >= 0 && y + 2 <= end; y = b.indexOf(FOOTER_MAGIC[0]!, y + 1)) {
    const footer = y - 10;
    if (b[y + 1] !== FOOTER_MAGIC[1] || b[footer + 8] !== b[at + 6] || b[footer + 9] !== b[at + 7]) continue;
    const tail = readTail(b, at, footer);
    if (tail) return tail;
  }
  return {};
}

export const xzCodec: Codec = { format: 'xz', magic: MAGIC, probe, loadSteps: liblzmaSteps('xz') };
