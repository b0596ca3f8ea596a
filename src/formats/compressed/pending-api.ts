/**
 * PLACEHOLDER until branch issue3-compress lands: the subset of its findPayloads() API the kernel modules use,
 * done with magic and header checks only. Removed when that branch is merged (imports then point at its module).
 */
import { crc32 } from '../../bytes/crc32.js';
import { readU32LE } from '../../bytes/endian.js';
import { UimgError } from '../../errors.js';
import { detectCompression, type CompressionMagic } from './magic.js';

export interface PayloadCandidate {
  format: CompressionMagic['name'];
  offset: number;
  compressedLength?: number;
  uncompressedSize?: number;
  sizeSource?: string;
  confidence: 'validated' | 'magic';
}

function validated(b: Uint8Array, at: number, format: CompressionMagic['name']): boolean {
  switch (format) {
    case 'gzip': return b[at + 2] === 8 && (b[at + 3]! & 0xe0) === 0;
    case 'xz': return at + 12 <= b.length && b[at + 6] === 0 && crc32(b.subarray(at + 6, at + 8)) === readU32LE(b, at + 8);
    case 'bzip2': return b[at + 3]! >= 0x31 && b[at + 3]! <= 0x39 && b[at + 4] === 0x31 && b[at + 5] === 0x41;
    case 'zstd': return at + 5 <= b.length && (b[at + 4]! & 0x08) === 0;
    default: return true;
  }
}

export function findPayloads(bytes: Uint8Array, opts: { start?: number; end?: number; includeUnvalidated?: boolean; maxCandidates?: number } = {}): PayloadCandidate[] {
  const out: PayloadCandidate[] = [];
  const end = Math.min(bytes.length, opts.end ?? bytes.length);
  for (let at = opts.start ?? 0; at < end && out.length < (opts.maxCandidates ?? Infinity); at++) {
    const format = detectCompression(bytes.subarray(at, at + 16));
    if (!format) continue;
    const ok = validated(bytes, at, format);
    if (ok || opts.includeUnvalidated) out.push({ format, offset: at, confidence: ok ? 'validated' : 'magic' });
  }
  return out;
}

export async function decompress(format: string, _bytes: Uint8Array, _opts: { maxOutputBytes: number; signal?: AbortSignal }): Promise<{ data: Uint8Array; consumed?: number }> {
  throw new UimgError('UNSUPPORTED_TYPE', `${format}: decompression arrives with branch issue3-compress`, { field: 'format', actual: format });
}

/** The final "Linux version ..." banner: the last occurrence followed by a digit (6.1+ also holds a placeholder). */
export function findLinuxBanner(bytes: Uint8Array): { offset: number; text: string } | undefined {
  const needle = new TextEncoder().encode('Linux version ');
  let found: { offset: number; text: string } | undefined;
  for (let at = bytes.indexOf(needle[0]!); at >= 0 && at + needle.length < bytes.length; at = bytes.indexOf(needle[0]!, at + 1)) {
    if (!needle.every((b, i) => bytes[at + i] === b)) continue;
    const next = bytes[at + needle.length]!;
    if (next < 0x30 || next > 0x39) continue;
    let end = at;
    while (end < bytes.length && bytes[end] !== 0 && bytes[end] !== 0x0a) end++;
    found = { offset: at, text: new TextDecoder().decode(bytes.subarray(at, end)) };
  }
  return found;
}
