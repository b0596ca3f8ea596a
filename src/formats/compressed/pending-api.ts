/**
 * PLACEHOLDER until branch issue3-compress lands: the subset of its findPayloads() API the kernel modules use,
 * done with magic and header checks only. Removed when that branch is merged (imports then point at its module).
 */
import { crc32 } from '../../bytes/crc32.js';
import { readU32LE } from '../../bytes/endian.js';
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
