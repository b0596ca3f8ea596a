/**
 * The SH zImage (arch/sh/boot/compressed): a self-relocating decompressor linked at IMAGE_OFFSET, entered at its first
 * byte. What identifies it, as kexec-tools' SH probe reads it:
 *
 * - a bzImage stand-in header at 0x200: a zero halfword, "HdrS" at 0x202, version 0x0202 at 0x206 (CPU byte order);
 * - the literal pool of its startup code ends just before the nop padding (0x0009 halfwords) that reaches 0x200, with
 *   the kexec magic word 0x400000F0, then stack_start, decompress_kernel and kernel_start_addr (the kernel's entry,
 *   `_text + PAGE_SIZE`). The magic also tells the byte order.
 * - startup's third instruction is `mova 1f,r0`, and the literal at 1f holds its own link-time address, so the
 *   difference gives the link address.
 *
 * The compressed kernel sits in `.rodata..compressed` after the decompressor: its length (LE32) right before it, the
 * decompressed size (LE32) in its last 4 bytes.
 */
import type { Endian } from '../../asm/assembler.js';
import { readU32LE } from '../../bytes/endian.js';
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { UimgError, hex32 } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import { findPayloads } from '../compressed/index.js';
import type { Decoded, DecodeOptions, FormatModule, Part } from '../types.js';

export const SH_HDRS_OFFSET = 0x202;
export const SH_KEXEC_MAGIC = 0x400000f0;
export const SH_INIT_SR = 0x500000f0;
/** Bytes the recognition needs: the pool, the pad and the stand-in header. */
export const SH_ZIMAGE_HEAD = 0x210;
/** Two nops, as the padding reads in either byte order. */
const PAD_WORD = 0x00090009;
const MOVA_AT = 4;

export interface ShZImage {
  endian: Endian;
  /** Offset of the kexec magic word in the startup code's literal pool. */
  kexecMagicOffset: number;
  stackStart: number;
  decompressKernel: number;
  /** The decompressed kernel's entry point (`_text + PAGE_SIZE`, or its physical form on 32-bit kernels). */
  kernelEntry: number;
  /** Where the decompressor runs (IMAGE_OFFSET); it copies itself there from wherever it starts. */
  linkAddress?: number;
  /** The stand-in header's version (0x0202). */
  headerVersion: number;
  size: number;
}

/** What is wrong with `head` as an SH zImage, or undefined when it is one. */
function mismatch(head: Uint8Array, size: number): { field: string; offset: number; expected: string; actual: string } | undefined {
  if (size < SH_ZIMAGE_HEAD || head.length < SH_ZIMAGE_HEAD) {
    return { field: 'size', offset: 0, expected: `at least ${SH_ZIMAGE_HEAD} bytes`, actual: `${size} bytes` };
  }
  const sig = head.subarray(SH_HDRS_OFFSET, SH_HDRS_OFFSET + 4);
  if (String.fromCharCode(...sig) !== 'HdrS') {
    return { field: 'HdrS signature', offset: SH_HDRS_OFFSET, expected: '48 64 72 53 ("HdrS")', actual: Array.from(sig, (b) => b.toString(16).padStart(2, '0')).join(' ') };
  }
  const magic = kexecMagicAt(head);
  if (!magic) return { field: 'kexec magic', offset: 0, expected: `${hex32(SH_KEXEC_MAGIC)} in the literal pool before 0x200`, actual: 'no such word' };
  return undefined;
}

/** Scan back from 0x1FC over the nop padding; the fourth word before the pad must be the magic. */
function kexecMagicAt(head: Uint8Array): { offset: number; endian: Endian } | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let last = 0x1fc;
  while (last >= 0 && (view.getUint32(last, true) === PAD_WORD || view.getUint32(last, false) === PAD_WORD)) last -= 4;
  const offset = last - 12;
  if (offset < 0) return undefined;
  if (view.getUint32(offset, true) === SH_KEXEC_MAGIC) return { offset, endian: 'little' };
  if (view.getUint32(offset, false) === SH_KEXEC_MAGIC) return { offset, endian: 'big' };
  return undefined;
}

export function isShZImage(head: Uint8Array, size: number): boolean {
  return mismatch(head, size) === undefined;
}

/** Parse the head of an SH zImage; throws BAD_MAGIC naming the failed check. */
export function parseShZImage(head: Uint8Array, size: number): ShZImage {
  const bad = mismatch(head, size);
  if (bad) {
    throw new UimgError('BAD_MAGIC', `not an SH zImage: ${bad.field} at ${hex32(bad.offset)}: expected ${bad.expected}, found ${bad.actual}`,
      bad, 'an SH zImage comes from `make zImage` for ARCH=sh (arch/sh/boot/zImage)');
  }
  const { offset, endian } = kexecMagicAt(head)!;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = endian === 'little';
  const word = (at: number) => view.getUint32(at, le);
  const mova = view.getUint16(MOVA_AT, le);
  let linkAddress: number | undefined;
  if ((mova & 0xff00) === 0xc700) {
    const literal = (MOVA_AT & ~3) + 4 + (mova & 0xff) * 4;
    if (literal + 4 <= offset) linkAddress = (word(literal) - literal) >>> 0;
  }
  return {
    endian,
    kexecMagicOffset: offset,
    stackStart: word(offset + 4),
    decompressKernel: word(offset + 8),
    kernelEntry: word(offset + 12),
    ...(linkAddress !== undefined ? { linkAddress } : {}),
    headerVersion: view.getUint16(SH_HDRS_OFFSET + 4, le),
    size,
  };
}

export async function readShZImage(src: ByteSource): Promise<ShZImage> {
  return parseShZImage(await src.read(0, SH_ZIMAGE_HEAD), src.size);
}

/** How far past the header the decompressor's code and data may reach before the compressed kernel. */
const PAYLOAD_SCAN_WINDOW = 256 << 10;

export interface ShZImagePayload {
  format: string;
  offset: number;
  /** input_len, the word before the stream. */
  length: number;
  /** output_len, the stream's last word. */
  decompressedSize: number;
}

/** The compressed kernel: the first validated stream after the header whose preceding word is its length. */
async function locatePayload(src: ByteSource, window: number): Promise<ShZImagePayload | undefined> {
  const bytes = await readClamped(src, 0, Math.min(src.size, SH_ZIMAGE_HEAD + window));
  for (const c of findPayloads(bytes, { start: SH_ZIMAGE_HEAD, maxCandidates: 4 })) {
    if (c.offset % 4 !== 0) continue;
    const length = readU32LE(bytes, c.offset - 4);
    if (length < 8 || c.offset + length > src.size) continue;
    const decompressedSize = readU32LE(await src.read(c.offset + length - 4, 4), 0);
    return { format: c.format, offset: c.offset, length, decompressedSize };
  }
  return undefined;
}

export const zImageShFormat: FormatModule<ShZImage & { payload?: ShZImagePayload }> = {
  id: 'zimage-sh',
  name: 'SH zImage',
  signatures: [{ bytes: [0x48, 0x64, 0x72, 0x53], at: SH_HDRS_OFFSET }],
  hexFields: ['kexecMagicOffset', 'stackStart', 'decompressKernel', 'kernelEntry', 'linkAddress', 'headerVersion', 'offset', 'length'],
  probe: (head, size) => isShZImage(head, size),
  async decode(src: ByteSource, opts: DecodeOptions = {}): Promise<Decoded<ShZImage & { payload?: ShZImagePayload }>> {
    const z = await readShZImage(src);
    const payload = await locatePayload(src, opts.scanWindow ?? PAYLOAD_SCAN_WINDOW);
    const findings: Finding[] = [];
    const parts: Part[] = [];
    if (payload) {
      parts.push({ name: 'payload', offset: payload.offset, length: payload.length, format: payload.format, uncompressedSize: payload.decompressedSize, sizeSource: 'sh-zimage-output-len' });
    } else {
      findings.push(finding('malformed', 'no compressed kernel (a stream preceded by its length) after the decompressor',
        'the zImage is damaged, or carries a compression uimg does not know'));
    }
    const traits = [`${z.endian}-endian`, z.linkAddress !== undefined ? `links at ${hex32(z.linkAddress)}` : 'link address unknown',
      `kernel entry ${hex32(z.kernelEntry)}`, ...(payload ? [`${payload.format} payload`] : [])];
    return { format: 'zimage-sh', value: { ...z, ...(payload ? { payload } : {}) }, findings, parts, summary: `SH zImage, ${traits.join(', ')}`, arch: 'sh' };
  },
};
