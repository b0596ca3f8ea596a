/**
 * lz4 legacy frame (`lz4 -l`, the only lz4 framing the kernel reads): the LE32 magic 0x184C2102, then blocks, each
 * an LE32 compressed size and LZ4 block data that decodes to exactly 8 MiB (the last block to at most 8 MiB). There
 * are no checksums, and lz4js (which decodes the blocks) checks no bounds, so every block's sequences are walked
 * first: literal and match lengths that stay inside the block, match offsets inside the output so far.
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
const MIN_MATCH = 4;

interface Block {
  start: number;
  length: number;
}

/**
 * The blocks of the frame at `at`. The frame ends at `end`, at a size word that cannot be a block (zero, too large,
 * the next frame's magic, or the LE32 size the kernel appends: the last 4 bytes before `end`), or is cut short
 * (`truncated`: a plausible block runs past `end`, or a partial size word is left).
 */
function walk(b: Uint8Array, at: number, end: number): { blocks: Block[]; truncated: boolean } {
  const blocks: Block[] = [];
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

/** An LZ4 length: the 4-bit field, plus extension bytes while they are 255. */
function readLength(b: Uint8Array, field: number, p: number, end: number): { value: number; next: number } | undefined {
  let value = field;
  if (field === 15) {
    for (let x = 255; x === 255; value += x) {
      if (p >= end) return undefined;
      x = b[p++]!;
    }
  }
  return { value, next: p };
}

/** The output size of a block, if its sequences are well formed and it ends on literals; else undefined. */
function blockOutputSize(b: Uint8Array, { start, length }: Block): number | undefined {
  const end = start + length;
  let p = start;
  let out = 0;
  while (p < end) {
    const token = b[p]!;
    const literals = readLength(b, token >> 4, p + 1, end);
    if (!literals || literals.next + literals.value > end) return undefined;
    p = literals.next + literals.value;
    out += literals.value;
    if (p === end) break;
    if (p + 2 > end) return undefined;
    const offset = b[p]! | (b[p + 1]! << 8);
    if (offset === 0 || offset > out) return undefined;
    const match = readLength(b, token & 15, p + 2, end);
    if (!match) return undefined;
    p = match.next;
    out += match.value + MIN_MATCH;
    if (out > BLOCK_SIZE) return undefined;
    if (p === end) return undefined; // the last sequence must be literals only
  }
  return out > 0 && out <= BLOCK_SIZE ? out : undefined;
}

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (!MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const { blocks, truncated } = walk(b, at, end);
  const first = blocks[0];
  if (!first) return truncated ? {} : undefined;
  const size = blockOutputSize(b, first);
  if (size === undefined || (blocks.length > 1 && size !== BLOCK_SIZE)) return undefined;
  const last = blocks.at(-1)!;
  // Without an end marker, only a walk that ends exactly at the end of the range has found the stream's end.
  return last.start + last.length === end ? { compressedLength: end - at } : {};
}

const decodeSteps: DecodeSteps = function* (input, emit) {
  const { blocks, truncated } = walk(input, 0, input.length);
  if (blocks.length === 0 && !truncated) throw corruptStream('lz4', 'no block', 4);
  const scratch = new Uint8Array(BLOCK_SIZE);
  for (const [i, block] of blocks.entries()) {
    const size = blockOutputSize(input, block);
    if (size === undefined || (i < blocks.length - 1 && size !== BLOCK_SIZE)) {
      throw corruptStream('lz4', `block ${i} is malformed`, block.start - 4);
    }
    const produced = decompressBlock(input, scratch, block.start, block.length, 0);
    if (produced !== size) throw corruptStream('lz4', `block ${i} decodes to ${produced} bytes, not ${size}`, block.start - 4);
    emit(scratch.subarray(0, produced));
    yield;
  }
  if (truncated) throw truncatedStream('lz4', input.length);
  const last = blocks.at(-1)!;
  return last.start + last.length;
};

export const lz4Codec: Codec = { format: 'lz4', magic: MAGIC, probe, syncSteps: decodeSteps, loadSteps: async () => decodeSteps };
