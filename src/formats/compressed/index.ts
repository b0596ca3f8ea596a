/**
 * Compressed kernel payloads: find and validate gzip, bzip2, lzma, xz, lzo, lz4 (legacy frame) and zstd streams
 * inside images, decompress them within limits, and read the kernel's banner and embedded config. Pure: no fs,
 * process or clock. Library choices are explained in docs/compression.md.
 */
export type { Compression, PayloadCandidate, DecompressLimits } from './types.js';
export { findPayloads, type FindPayloadsOptions } from './scan.js';
export { decompress } from './decompress.js';
export { findLinuxBanner, extractIkconfig } from './banner.js';
export { detectCompression, COMPRESSION_MAGICS, type CompressionMagic } from './magic.js';
