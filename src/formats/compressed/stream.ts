/**
 * A compressed stream as a registry format (an Image.gz, a gzip'd initrd, a zImage's payload): which compression,
 * and the decompressed size where the stream says it without decompressing. Decompression itself is --deep's job
 * (src/inspect), through the compressed module's bounded decompress().
 */
import { readU32LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import type { Decoded, FormatModule } from '../types.js';
import { COMPRESSION_MAGICS, detectCompression, findPayloads, type Compression } from './index.js';

export interface CompressedStream {
  compression: Compression;
  /** The decompressed size the stream (or its container) records, when it does. */
  uncompressedSize?: number;
  sizeSource?: string;
  /** Measured by decompressing (--deep). */
  decompressedSize?: number;
  /** Why --deep did not decompress it (no decoder for the format). */
  notDecompressed?: string;
}

/** Enough of a stream for its header checks and a short trial decode. */
const STREAM_HEAD = 64 << 10;

/** Compression names as the registry's format ids: a node whose format is one of these can be decompressed. */
export const COMPRESSION_FORMATS: ReadonlySet<string> = new Set(COMPRESSION_MAGICS.map((m) => m.name).concat('lzma'));

async function decodeStream(src: ByteSource): Promise<Decoded<CompressedStream>> {
  const head = await src.read(0, STREAM_HEAD);
  const c = findPayloads(head, { maxCandidates: 1 }).find((p) => p.offset === 0);
  const compression = c?.format ?? detectCompression(head);
  if (!compression) {
    throw new UimgError('MALFORMED', 'no compressed stream starts here', { field: 'magic', offset: 0 }, 'the payload is damaged or in another format');
  }
  const value: CompressedStream = { compression };
  if (c?.uncompressedSize !== undefined) {
    value.uncompressedSize = c.uncompressedSize;
    value.sizeSource = c.sizeSource;
  } else if (compression === 'gzip' && src.size >= 18) {
    // gzip ends with ISIZE (size mod 2^32): right when the source is exactly one gzip member.
    value.uncompressedSize = readU32LE(await src.read(src.size - 4, 4), 0);
    value.sizeSource = 'gzip-isize';
  }
  const validated = c !== undefined;
  return {
    format: compression,
    value,
    findings: [],
    summary: `${compression} compressed data${validated ? '' : ' (its headers do not check out)'}`,
  };
}

export const compressedStreamFormat: FormatModule<CompressedStream> = {
  id: 'compressed',
  name: 'compressed stream (gzip, bzip2, lzma, xz, lzo, lz4, zstd)',
  produces: [...COMPRESSION_FORMATS],
  signatures: COMPRESSION_MAGICS.map((m) => ({ bytes: m.magic, at: 0 })),
  probe: (head) => findPayloads(head, { maxCandidates: 1 })[0]?.offset === 0,
  decode: decodeStream,
};
