/**
 * FIT hash node algorithms, as U-Boot's calculate_hash names them (case-sensitive): the digest of exactly the image's
 * `data` bytes, read chunk by chunk. CRCs are stored big-endian (4 bytes for crc32, 2 for crc16-ccitt).
 */
import { crc16Ccitt } from '../../bytes/crc16.js';
import { crc32 } from '../../bytes/crc32.js';
import { backend, type DigestName } from '../../crypto/index.js';
import type { Rope } from './rope.js';

export const FIT_HASH_ALGOS = ['crc16-ccitt', 'crc32', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
export type FitHashAlgo = (typeof FIT_HASH_ALGOS)[number];

export const isFitHashAlgo = (s: string): s is FitHashAlgo => (FIT_HASH_ALGOS as readonly string[]).includes(s);

/** The digest of a sequence of chunks, or undefined for a name U-Boot does not know. */
export async function fitHash(algo: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array | undefined> {
  if (!isFitHashAlgo(algo)) return undefined;
  if (algo === 'crc32' || algo === 'crc16-ccitt') {
    let c = 0;
    for await (const chunk of chunks) c = algo === 'crc32' ? crc32(chunk, c) : crc16Ccitt(chunk, c);
    const out = new Uint8Array(algo === 'crc32' ? 4 : 2);
    for (let i = 0; i < out.length; i++) out[i] = (c >>> (8 * (out.length - 1 - i))) & 0xff;
    return out;
  }
  const h = backend.createHasher(algo as DigestName);
  for await (const chunk of chunks) h.update(chunk);
  return h.digest();
}

export const hashRope = (algo: string, data: Rope) => fitHash(algo, data.chunks());
