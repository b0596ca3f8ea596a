/**
 * lzma-alone (the .lzma of `lzma -9`, which the kernel uses): a 13-byte header and no checksum at all. The probe
 * applies the checks xz itself uses to recognise the format (properties byte, a dictionary size of 2^n or 2^n + 2^(n-1),
 * an uncompressed size that is unknown or under 256 GiB) plus the range coder's zero first byte. xz, lzma and the
 * kernel's build always write "size unknown" (eight 0xFF bytes); a header with a recorded size passes the checks too
 * easily by chance (machine code does), so it decompresses but a scan reports it magic-only.
 */
import { readU32LE } from '../../bytes/endian.js';
import { liblzmaSteps } from './liblzma.js';
import type { Codec, StreamShape } from './types.js';

const HEADER_SIZE = 13;
/** lc/lp/pb packed as (pb * 5 + lp) * 9 + lc: at most 224. */
const MAX_PROPERTIES = 224;
const MAX_KNOWN_SIZE = 2 ** 38;

function validDictionary(size: number): boolean {
  if (size < 4096) return false;
  const top = 2 ** Math.floor(Math.log2(size));
  return size === top || size === top + top / 2;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (at + HEADER_SIZE + 1 > end || b[at]! > MAX_PROPERTIES || !validDictionary(readU32LE(b, at + 1))) return undefined;
  if (b[at + HEADER_SIZE] !== 0) return undefined;
  const low = readU32LE(b, at + 5);
  const high = readU32LE(b, at + 9);
  if (low === 0xffffffff && high === 0xffffffff) return {};
  const size = high * 2 ** 32 + low;
  return size < MAX_KNOWN_SIZE ? { uncompressedSize: size, sizeSource: 'lzma-header', ambiguous: true } : undefined;
}

/** Scanned for by the properties byte 0x5D (lc=3 lp=0 pb=2, what xz and the kernel write) and a dictionary >= 64 KiB. */
export const lzmaCodec: Codec = { format: 'lzma', magic: [0x5d, 0x00, 0x00], probe, loadSteps: liblzmaSteps('lzma') };
