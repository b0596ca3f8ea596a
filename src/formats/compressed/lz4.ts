/**
 * lz4 legacy frame (`lz4 -l`, the only lz4 framing the kernel reads): the LE32 magic 0x184C2102, then blocks, each
 * an LE32 compressed size and LZ4 block data that decodes to exactly 8 MiB (the last block to at most 8 MiB). There
 * are no checksums, so the probe walks the block sizes and the trial decode checks the first block's output size.
 * Blocks are decoded with lz4js.
 */
import { decompressBlock } from 'lz4js';
import { readU32LE } from '../../bytes/endian.js';
import { corruptStream, truncatedStream } from './limits.js';
import type { Codec, DecodeSteps, StreamShape } from './types.js';

const MAGIC = [0x02, 0x21, 0x4c, 0x18];
const MAGIC_WORD = 0x184c2102;
const BLOCK_SIZE = 8 << 20;
/** LZ4_compressBound(8 MiB): the largest compressed block. */
const MAX_COMPRESSED_BLOCK = BLOCK_SIZE + Math.floor(BLOCK_SIZE / 255) + 16;

/**
 * The blocks of the frame at `at`. The frame ends at `end`, at a size word that cannot be a block (zero, too large,
 * the next frame's magic, or the LE32 size the kernel appends: the last 4 bytes before `end`), or is cut short
 * (`truncated`: a plausible block runs past `end`, or a partial size word is left).
 */
function walk(b: Uint8Array, at: number, end: number): { blocks: { start: number; length: number }[]; truncated: boolean } {
  const blocks: { start: number; length: number }[] = [];
  let p = at + 4;
  while (p + 4 <= end) {
    const length = readU32LE(b, p);
    if (length === MAGIC_WORD || length === 0 || length > MAX_COMPRESSED_BLOCK) return { blocks, truncated: false };
    if (p + 4 + length > end) return { blocks, truncated: p + 4 < end };
    blocks.push({ start: p + 4, length });
    p += 4 + length;
  }
  return { blocks, truncated: p < end };
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (!MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const last = walk(b, at, end).blocks.at(-1);
  if (!last) return undefined;
  // Only a walk that reaches the end of the range exactly is sure to have found the stream's end.
  return last.start + last.length === end ? { compressedLength: end - at } : {};
}

const decodeSteps: DecodeSteps = function* (input, emit) {
  const { blocks: found, truncated } = walk(input, 0, input.length);
  if (truncated) throw truncatedStream('lz4', input.length);
  if (found.length === 0) throw corruptStream('lz4', 'no valid first block', 4);
  const scratch = new Uint8Array(BLOCK_SIZE);
  for (const [i, block] of found.entries()) {
    const produced = decompressBlock(input, scratch, block.start, block.length, 0);
    // lz4js does not check bounds: output past the buffer, or a short non-final block, means corrupt data.
    if (produced > BLOCK_SIZE || produced <= 0 || (i < found.length - 1 && produced !== BLOCK_SIZE)) {
      throw corruptStream('lz4', `block ${i} decodes to ${produced} bytes`, block.start - 4);
    }
    emit(scratch.slice(0, produced));
    yield;
  }
  const last = found.at(-1)!;
  return last.start + last.length;
};

export const lz4Codec: Codec = { format: 'lz4', magic: MAGIC, probe, syncSteps: decodeSteps, loadSteps: async () => decodeSteps };
