/**
 * A compressed stream as a registry format (an Image.gz, a gzip'd initrd, a zImage's payload): which compression,
 * and the decompressed size where the stream says it without decompressing. Decompression itself is --deep's job
 * (src/inspect), through the compressed module's bounded decompress().
 */
import { readU32LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import type { Decoded, FormatModule } from '../registry.js';
import { COMPRESSION_MAGICS } from './magic.js';
import { findPayloads } from './pending-api.js';

export interface CompressedStream {
  compression: string;
  /** The decompressed size the stream (or its container) records, when it does. */
  uncompressedSize?: number;
  sizeSource?: string;
}

/** Compression names as the registry's format ids: a node whose format is one of these can be decompressed. */
export const COMPRESSION_FORMATS: ReadonlySet<string> = new Set([...COMPRESSION_MAGICS.map((m) => m.name), 'lzma']);

async function decodeStream(src: ByteSource): Promise<Decoded<CompressedStream>> {
  const head = await src.read(0, 64);
  const [c] = findPayloads(head, { end: 1, includeUnvalidated: true });
  const value: CompressedStream = { compression: c?.format ?? 'unknown' };
  if (c?.uncompressedSize !== undefined) {
    value.uncompressedSize = c.uncompressedSize;
    value.sizeSource = c.sizeSource ?? 'stream header';
  } else if (c?.format === 'gzip' && src.size >= 18) {
    // gzip ends with ISIZE (size mod 2^32): right when the source is exactly one gzip member.
    value.uncompressedSize = readU32LE(await src.read(src.size - 4, 4), 0);
    value.sizeSource = 'gzip ISIZE';
  }
  return { format: value.compression, value, findings: [], summary: `${value.compression} compressed data` };
}

export const compressedStreamFormat: FormatModule<CompressedStream> = {
  id: 'compressed',
  name: 'compressed stream (gzip, bzip2, lzma, xz, lzo, lz4, zstd)',
  signatures: COMPRESSION_MAGICS.map((m) => ({ bytes: m.magic, at: 0 })),
  probe: (head) => findPayloads(head, { end: 1 }).length > 0,
  decode: decodeStream,
};
