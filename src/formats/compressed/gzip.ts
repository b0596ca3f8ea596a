/** gzip (RFC 1952), as `gzip -9n` writes it for the kernel; decoded with pako's zlib port. */
import { ZStream, Z_BUF_ERROR, Z_NO_FLUSH, Z_OK, Z_STREAM_END, zlibInflate, zlibInflateEnd, zlibInflateInit2 } from 'pako';
import { crc32 } from '../../bytes/crc32.js';
import { corruptStream, truncatedStream } from './limits.js';
import type { Codec, DecodeSteps, StreamShape } from './types.js';

const MAGIC = [0x1f, 0x8b, 0x08]; // and CM 8: deflate
const FLAG = { HCRC: 0x02, EXTRA: 0x04, NAME: 0x08, COMMENT: 0x10, RESERVED: 0xe0 } as const;
/** gzip's "extra flags": 0 (default), 2 (-9, the kernel's), 4 (-1). */
const XFL_VALUES = new Set([0, 2, 4]);
/** OS byte: 0..13 are assigned, 255 is "unknown". */
const OS_MAX = 13;
const OS_UNKNOWN = 255;
/** Longest file name or comment we accept in a header: they end at a NUL, which a decoy may never reach. */
const MAX_HEADER_STRING = 1024;
/** windowBits 15 + 16: zlib's "gzip wrapper only". */
const GZIP_ONLY = 31;
const OUT_CHUNK = 256 << 10;

/** Offset of the deflate data after a gzip header at `at`, or undefined if the header is not valid. */
function headerEnd(b: Uint8Array, at: number, end: number): number | undefined {
  if (at + 10 > end || !MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const flags = b[at + 3]!;
  if (flags & FLAG.RESERVED) return undefined;
  if (!XFL_VALUES.has(b[at + 8]!)) return undefined;
  const os = b[at + 9]!;
  if (os > OS_MAX && os !== OS_UNKNOWN) return undefined;
  let p = at + 10;
  if (flags & FLAG.EXTRA) {
    if (p + 2 > end) return undefined;
    p += 2 + (b[p]! | (b[p + 1]! << 8));
  }
  for (const flag of [FLAG.NAME, FLAG.COMMENT]) {
    if (!(flags & flag)) continue;
    const nul = b.subarray(p, Math.min(end, p + MAX_HEADER_STRING)).indexOf(0);
    if (nul < 0) return undefined;
    p += nul + 1;
  }
  if (flags & FLAG.HCRC) {
    if (p + 2 > end) return undefined;
    if ((crc32(b.subarray(at, p)) & 0xffff) !== (b[p]! | (b[p + 1]! << 8))) return undefined;
    p += 2;
  }
  return p <= end ? p : undefined;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  return headerEnd(b, at, end) === undefined ? undefined : {};
}

const inflateSteps: DecodeSteps = function* (input, emit) {
  const strm = new ZStream();
  zlibInflateInit2(strm, GZIP_ONLY);
  try {
    strm.input = input;
    strm.next_in = 0;
    strm.avail_in = input.length;
    strm.output = new Uint8Array(OUT_CHUNK);
    for (;;) {
      strm.next_out = 0;
      strm.avail_out = OUT_CHUNK;
      const status = zlibInflate(strm, Z_NO_FLUSH);
      const produced = OUT_CHUNK - strm.avail_out;
      if (produced > 0) emit(strm.output.subarray(0, produced));
      if (status === Z_STREAM_END) return strm.total_in;
      if (status === Z_BUF_ERROR && strm.avail_in === 0) throw truncatedStream('gzip', input.length);
      if (status !== Z_OK) throw corruptStream('gzip', strm.msg || `inflate status ${status}`, strm.total_in);
      yield;
    }
  } finally {
    zlibInflateEnd(strm);
  }
};

export const gzipCodec: Codec = {
  format: 'gzip',
  magic: MAGIC,
  probe,
  syncSteps: inflateSteps,
  loadSteps: async () => inflateSteps,
};
