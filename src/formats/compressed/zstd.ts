/**
 * zstd (RFC 8878): one frame. The probe walks the block headers to the frame's end without decoding (each block
 * states its size), so it knows the compressed length; the frame header may carry the content size. Decoded with
 * fzstd (pure JS, streaming).
 */
import { Decompress, ZstdErrorCode } from 'fzstd';
import { corruptStream, truncatedStream } from './limits.js';
import type { Codec, DecodeSteps, StreamShape } from './types.js';

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const MAX_BLOCK_SIZE = 128 << 10;
/** Larger windows exist in the format but no kernel decompressor accepts them. */
const MAX_WINDOW_LOG = 31;
const BLOCK_RESERVED = 3;
const BLOCK_RLE = 1;
const PUSH_CHUNK = 64 << 10;

interface FrameHeader {
  headerSize: number;
  contentSize?: number;
  hasChecksum: boolean;
}

function readFrameHeader(b: Uint8Array, at: number, end: number): FrameHeader | undefined {
  if (at + 5 > end) return undefined;
  const descriptor = b[at + 4]!;
  if (descriptor & 0x08) return undefined; // reserved bit
  const singleSegment = (descriptor & 0x20) !== 0;
  const fcsFlag = descriptor >> 6;
  const dictIdSize = [0, 1, 2, 4][descriptor & 0x03]!;
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  let p = at + 5;
  if (!singleSegment) {
    if ((b[p]! >> 3) + 10 > MAX_WINDOW_LOG) return undefined;
    p += 1;
  }
  p += dictIdSize;
  if (p + fcsSize > end) return undefined;
  let contentSize: number | undefined;
  if (fcsSize > 0) {
    contentSize = 0;
    for (let i = fcsSize - 1; i >= 0; i--) contentSize = contentSize * 256 + b[p + i]!;
    if (fcsSize === 2) contentSize += 256;
    if (!Number.isSafeInteger(contentSize)) return undefined;
  }
  return { headerSize: p + fcsSize - at, ...(contentSize !== undefined ? { contentSize } : {}), hasChecksum: (descriptor & 0x04) !== 0 };
}

/** The frame's length by walking its block headers, or undefined if a block is invalid or runs past `end`. */
function frameLength(b: Uint8Array, at: number, end: number, header: FrameHeader): number | undefined {
  let p = at + header.headerSize;
  for (;;) {
    if (p + 3 > end) return undefined;
    const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === BLOCK_RESERVED || size > MAX_BLOCK_SIZE) return undefined;
    p += 3 + (type === BLOCK_RLE ? 1 : size);
    if (h & 1) break;
  }
  p += header.hasChecksum ? 4 : 0;
  return p <= end ? p - at : undefined;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (!MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const header = readFrameHeader(b, at, end);
  if (!header) return undefined;
  const length = frameLength(b, at, end, header);
  return {
    ...(length !== undefined ? { compressedLength: length } : {}),
    ...(header.contentSize !== undefined ? { uncompressedSize: header.contentSize, sizeSource: 'zstd-frame-header' } : {}),
  };
}

const decodeSteps: DecodeSteps = function* (input, emit) {
  // fzstd would read on into whatever follows the frame (the kernel appends its size), so give it the frame only.
  const shape = probe(input, 0, input.length);
  const length = shape?.compressedLength;
  const frame = length === undefined ? input : input.subarray(0, length);
  let produced = 0;
  const decoder = new Decompress((chunk) => {
    produced += chunk.length;
    emit(chunk);
  });
  try {
    for (let p = 0; p < frame.length; p += PUSH_CHUNK) {
      decoder.push(frame.subarray(p, p + PUSH_CHUNK), p + PUSH_CHUNK >= frame.length);
      yield;
    }
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === ZstdErrorCode.UnexpectedEOF) throw truncatedStream('zstd', input.length);
    if (typeof code === 'number') throw corruptStream('zstd', (e as Error).message);
    throw e;
  }
  if (length === undefined) throw truncatedStream('zstd', input.length);
  // fzstd checks neither the frame's content size nor its checksum; the size at least is checked here.
  if (shape?.uncompressedSize !== undefined && produced !== shape.uncompressedSize) {
    throw corruptStream('zstd', `the frame decodes to ${produced} bytes, its header says ${shape.uncompressedSize}`);
  }
  return length;
};

export const zstdCodec: Codec = { format: 'zstd', magic: MAGIC, probe, syncSteps: decodeSteps, loadSteps: async () => decodeSteps };
