/**
 * bzip2: "BZh" + block size digit, then the 48-bit block magic (pi) or, for an empty stream, the end magic (sqrt pi).
 * Every block carries a CRC32 of its output, checked by the decoder (seek-bzip, pure JS). seek-bzip decodes a whole
 * stream in one synchronous call, so its time is bounded through the output limit (it stops at the first byte over).
 */
import Bunzip from 'seek-bzip';
import { corruptStream, truncatedStream } from './limits.js';
import type { Codec, DecodeSteps, StreamShape } from './types.js';

const MAGIC = [0x42, 0x5a, 0x68]; // "BZh"
const BLOCK_MAGIC = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END_MAGIC = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
const OUT_CHUNK = 256 << 10;

function probe(b: Uint8Array, at: number, end: number): StreamShape | undefined {
  if (at + 10 > end || !MAGIC.every((m, i) => b[at + i] === m)) return undefined;
  const level = b[at + 3]!;
  if (level < 0x31 || level > 0x39) return undefined;
  const next = (magic: number[]) => magic.every((m, i) => b[at + 4 + i] === m);
  return next(BLOCK_MAGIC) || next(END_MAGIC) ? {} : undefined;
}

/** Thrown by the input stream at its end, so seek-bzip's bit reader cannot run on into nothing. */
class EndOfInput extends Error {}

const decodeSteps: DecodeSteps = function* (input, emit) {
  let pos = 0;
  const source = {
    readByte(): number {
      if (pos >= input.length) throw new EndOfInput();
      return input[pos++]!;
    },
    read(buffer: Uint8Array, offset: number, length: number): number {
      for (let i = 0; i < length; i++) buffer[offset + i] = this.readByte();
      return length;
    },
    seek(to: number): void {
      pos = to;
    },
    eof: () => pos >= input.length,
  };
  const chunk = new Uint8Array(OUT_CHUNK);
  let used = 0;
  const sink = {
    writeByte(byte: number): void {
      chunk[used++] = byte;
      if (used === OUT_CHUNK) {
        emit(chunk);
        used = 0;
      }
    },
  };
  try {
    Bunzip.decode(source, sink, false);
  } catch (e) {
    if (e instanceof EndOfInput) throw truncatedStream('bzip2', input.length);
    if (e instanceof TypeError && 'errorCode' in e) throw corruptStream('bzip2', e.message, pos);
    throw e;
  }
  emit(chunk.subarray(0, used));
  yield;
  return pos;
};

export const bzip2Codec: Codec = { format: 'bzip2', magic: MAGIC, probe, syncSteps: decodeSteps, loadSteps: async () => decodeSteps };
