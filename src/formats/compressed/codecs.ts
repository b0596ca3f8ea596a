/** The compression formats, in one table. */
import { bzip2Codec } from './bzip2.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { lzmaCodec } from './lzma.js';
import { lzoCodec } from './lzo.js';
import type { Codec, Compression } from './types.js';
import { xzCodec } from './xz.js';
import { zstdCodec } from './zstd.js';

export const CODECS: Readonly<Record<Compression, Codec>> = {
  gzip: gzipCodec,
  bzip2: bzip2Codec,
  lzma: lzmaCodec,
  xz: xzCodec,
  lzo: lzoCodec,
  lz4: lz4Codec,
  zstd: zstdCodec,
};
