/** CRC-32 (zlib/PNG polynomial) for runtimes without node:zlib; `crc-32` takes the running value as its seed. */
import CRC32 from 'crc-32';

export function crc32(data: Uint8Array, previous = 0): number {
  return CRC32.buf(data, previous | 0) >>> 0;
}
