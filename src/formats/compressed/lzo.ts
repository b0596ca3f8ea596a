/**
 * lzop (the container `lzop -9` writes for the kernel's LZO option): a header with an Adler-32 or CRC32 checksum,
 * then blocks of (uncompressed length, compressed length, checksums, LZO1X data), ended by a zero length. The probe
 * checks the header checksum and walks the blocks, which gives both sizes without decoding. There is no decoder: no
 * maintained, browser-safe LZO library exists (see docs/compression.md), so decompress() reports it unsupported.
 */
import { crc32 } from '../../bytes/crc32.js';
import { readU32BE } from '../../bytes/endian.js';
import type { Codec, StreamShape } from './types.js';

const MAGIC = [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
/** Header flags (lzop's F_*). */
const F = {
  ADLER32_D: 0x1, ADLER32_C: 0x2, H_EXTRA_FIELD: 0x40, CRC32_D: 0x100, CRC32_C: 0x200, H_FILTER: 0x800, H_CRC32: 0x1000,
} as const;
/** Versions that added fields to the header. */
const V_EXTRACT = 0x0940;
const V_MIN = 0x0900;
/** LZO1X-1, LZO1X-1(15), LZO1X-999: what lzop writes. */
const METHODS = new Set([1, 2, 3]);
const MAX_BLOCK = 64 << 20;

export function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Where the header at `at` ends and its flags, if its fields and checksum are valid. */
function readHeader(b: Uint8Array, at: number, end: number): { next: number; flags: number } | undefined {
  let p = at + MAGIC.length;
  const need = (n: number) => p + n <= end;
  if (!need(7)) return undefined;
  const version = (b[p]! << 8) | b[p + 1]!;
  if (version < V_MIN) return undefined;
  p += 4 + (version >= V_EXTRACT ? 2 : 0); // version, library version, version needed to extract
  if (!need(2) || !METHODS.has(b[p]!)) return undefined;
  p += version >= V_EXTRACT ? 2 : 1; // method, level
  if (!need(4)) return undefined;
  const flags = readU32BE(b, p);
  p += 4 + (flags & F.H_FILTER ? 4 : 0) + 8 + (version >= V_EXTRACT ? 4 : 0); // filter, mode, mtime, mtime high
  if (!need(1)) return undefined;
  p += 1 + b[p]!; // name
  if (!need(4)) return undefined;
  const covered = b.subarray(at + MAGIC.length, p);
  const sum = flags & F.H_CRC32 ? crc32(covered) : adler32(covered);
  if (sum !== readU32BE(b, p)) return undefined;
  p += 4;
  if (flags & F.H_EXTRA_FIELD) {
    if (!need(4)) return undefined;
    p += 4 + readU32BE(b, p) + 4;
  }
  return p <= end ? { next: p, flags } : undefined;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (!MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const header = readHeader(b, at, end);
  if (!header) return undefined;
  const sums = (d: boolean) => 4 * (+!!(header.flags & (d ? F.ADLER32_D : F.ADLER32_C)) + +!!(header.flags & (d ? F.CRC32_D : F.CRC32_C)));
  let p = header.next;
  let uncompressed = 0;
  while (p + 4 <= end) {
    const dst = readU32BE(b, p);
    if (dst === 0) return { compressedLength: p + 4 - at, uncompressedSize: uncompressed, sizeSource: 'lzop-blocks' };
    if (p + 8 > end) break;
    const src = readU32BE(b, p + 4);
    if (dst > MAX_BLOCK || src === 0 || src > dst) return undefined;
    p += 8 + sums(true) + (src < dst ? sums(false) : 0) + src;
    uncompressed += dst;
  }
  return {}; // the walk left the range: the end is elsewhere
}

export const lzoCodec: Codec = { format: 'lzo', magic: MAGIC, probe };
