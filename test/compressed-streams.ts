/** The compressed fixtures (fixtures/compressed/PROVENANCE.md) and filler bytes, shared by the compressed suites. */
import type { Compression } from '../src/index.js';

/** Every fixture made by the real tools, with its format. */
export const STREAMS: { file: string; format: Compression }[] = [
  { file: 'input.txt.gz', format: 'gzip' },
  { file: 'input.txt.bz2', format: 'bzip2' },
  { file: 'input.txt.xz', format: 'xz' },
  { file: 'input.txt.arm.xz', format: 'xz' },
  { file: 'input.txt.lzma', format: 'lzma' },
  { file: 'input.txt.lzo', format: 'lzo' },
  { file: 'input.txt.crc32.lzo', format: 'lzo' },
  { file: 'input.txt.lz4', format: 'lz4' },
  { file: 'input.txt.zst', format: 'zstd' },
  { file: 'input.txt.stdin.zst', format: 'zstd' },
];

/** Deterministic random-looking bytes (xorshift32), so failures reproduce. */
export function junk(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}
