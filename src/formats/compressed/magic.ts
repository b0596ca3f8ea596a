import type { Compression } from './types.js';

/** Compressed streams recognised by their first bytes alone (for labels; findPayloads validates), named as uImage's -C names them. */
export interface CompressionMagic {
  name: Compression;
  magic: readonly number[];
}

/** Checked in order; lzma (no real magic) last and only on its usual properties byte + dictionary size. */
export const COMPRESSION_MAGICS: readonly CompressionMagic[] = [
  { name: 'gzip', magic: [0x1f, 0x8b] },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'lz4', magic: [0x02, 0x21, 0x4c, 0x18] },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'lzo', magic: [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a] },
];

export function detectCompression(head: Uint8Array): CompressionMagic['name'] | undefined {
  for (const m of COMPRESSION_MAGICS) {
    if (m.magic.every((b, i) => head[i] === b)) return m.name;
  }
  // lzma-alone: properties byte 0x5d and a power-of-two dictionary size.
  if (head.length >= 13 && head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) return 'lzma';
  return undefined;
}
