/**
 * The x86 Linux boot protocol header (Documentation/x86/boot.rst): a real-mode setup header at 0x1F1 with "HdrS" at
 * 0x202, then the protected-mode code from (setup_sects + 1) * 512, which holds the compressed kernel at
 * payload_offset. Fields newer than a file's protocol version are left out.
 */
import { bytesAt, readCString, readU16LE, readU32LE, readU64LE } from '../../bytes/endian.js';
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { hex32 } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import { findPayloads } from '../compressed/index.js';
import type { Decoded, FormatModule, Part } from '../types.js';

const HDRS = [0x48, 0x64, 0x72, 0x53]; // "HdrS"
const HDRS_OFFSET = 0x202;
const BOOT_FLAG_OFFSET = 0x1fe;
const BOOT_FLAG = 0xaa55;
/** The setup header ends before 0x270 in every protocol version so far. */
const SETUP_HEADER_END = 0x270;
const VERSION_STRING_MAX = 256;
/** Enough of the payload for its stream header checks and a short trial decode. */
const PAYLOAD_PROBE = 64 << 10;

export interface X86LoadFlags {
  raw: number;
  /** Bit 0: the protected-mode code loads at 0x100000 (a bzImage; clear for an old zImage). */
  loadedHigh: boolean;
  /** Bit 5: no early messages. */
  quiet: boolean;
  /** Bit 6 (obsolete): keep segments. */
  keepSegments: boolean;
  /** Bit 7: the loader set heap_end_ptr. */
  canUseHeap: boolean;
}

export interface BzImage {
  /** As stored; 0 means 4. */
  setupSects: number;
  /** File offset of the protected-mode code: (setup_sects or 4, + 1) * 512. */
  protectedModeOffset: number;
  rootFlags: number;
  /** Protected-mode code size in 16-byte paragraphs (protocol 2.04+). */
  syssize: number;
  vidMode: number;
  rootDev: number;
  bootFlag: number;
  protocol: { major: number; minor: number; raw: number };
  /** The version string the header points to (kernel_version + 0x200), when it has one. */
  kernelVersion?: string;
  typeOfLoader: number;
  loadflags: X86LoadFlags;
  code32Start: number;
  initrdAddrMax?: number;
  kernelAlignment?: number;
  relocatable?: boolean;
  minAlignment?: number;
  xloadflags?: number;
  cmdlineSize?: number;
  /** From the protected-mode code's start (protocol 2.08+). */
  payloadOffset?: number;
  payloadLength?: number;
  /** payloadOffset as a file offset. */
  payloadFileOffset?: number;
  prefAddress?: bigint;
  initSize?: number;
  handoverOffset?: number;
  kernelInfoOffset?: number;
  /** An EFI stub kernel (starts with "MZ"). */
  efiStub: boolean;
}

export function isBzImage(head: Uint8Array): boolean {
  return bytesAt(head, HDRS_OFFSET, HDRS) && head.length > BOOT_FLAG_OFFSET + 1 && readU16LE(head, BOOT_FLAG_OFFSET) === BOOT_FLAG;
}

/** The setup header from the first 0x270 bytes; `versionString` reads the string kernel_version points to. */
export function decodeBzImageHeader(h: Uint8Array, versionString?: string): BzImage {
  const raw = readU16LE(h, 0x206);
  const at = (major: number, minor: number) => raw >= ((major << 8) | minor);
  const setupSects = h[0x1f1]!;
  const protectedModeOffset = ((setupSects || 4) + 1) * 512;
  const lf = h[0x211]!;
  const out: BzImage = {
    setupSects,
    protectedModeOffset,
    rootFlags: readU16LE(h, 0x1f2),
    syssize: readU32LE(h, 0x1f4),
    vidMode: readU16LE(h, 0x1fa),
    rootDev: readU16LE(h, 0x1fc),
    bootFlag: readU16LE(h, BOOT_FLAG_OFFSET),
    protocol: { major: raw >> 8, minor: raw & 0xff, raw },
    ...(versionString !== undefined ? { kernelVersion: versionString } : {}),
    typeOfLoader: h[0x210]!,
    loadflags: { raw: lf, loadedHigh: (lf & 1) !== 0, quiet: (lf & 0x20) !== 0, keepSegments: (lf & 0x40) !== 0, canUseHeap: (lf & 0x80) !== 0 },
    code32Start: readU32LE(h, 0x214),
    efiStub: bytesAt(h, 0, [0x4d, 0x5a]),
  };
  if (at(2, 3)) out.initrdAddrMax = readU32LE(h, 0x22c);
  if (at(2, 5)) {
    out.kernelAlignment = readU32LE(h, 0x230);
    out.relocatable = h[0x234] !== 0;
  }
  if (at(2, 6)) out.cmdlineSize = readU32LE(h, 0x238);
  if (at(2, 8)) {
    out.payloadOffset = readU32LE(h, 0x248);
    out.payloadLength = readU32LE(h, 0x24c);
    out.payloadFileOffset = protectedModeOffset + out.payloadOffset;
  }
  if (at(2, 10)) {
    out.minAlignment = h[0x235]!;
    out.prefAddress = readU64LE(h, 0x258);
    out.initSize = readU32LE(h, 0x260);
  }
  if (at(2, 11)) out.handoverOffset = readU32LE(h, 0x264);
  if (at(2, 12)) out.xloadflags = readU16LE(h, 0x236);
  if (at(2, 15)) out.kernelInfoOffset = readU32LE(h, 0x268);
  return out;
}

/** Where the kernel_version string sits in the file, when the protocol has one (2.00+, pointer non-zero). */
export function kernelVersionOffset(h: Uint8Array): number | undefined {
  const ptr = readU16LE(h, 0x20e);
  return readU16LE(h, 0x206) >= 0x200 && ptr !== 0 ? ptr + 0x200 : undefined;
}

async function decodeBzImage(src: ByteSource): Promise<Decoded<BzImage>> {
  const head = await src.read(0, SETUP_HEADER_END);
  const findings: Finding[] = [];
  if (head.length < SETUP_HEADER_END) {
    findings.push(finding('truncated', `the file ends at ${head.length} bytes, inside the setup header (0x1F1..0x270)`,
      'the kernel was cut short', head.length));
  }
  const padded = new Uint8Array(SETUP_HEADER_END);
  padded.set(head);
  const versionAt = kernelVersionOffset(padded);
  const version = versionAt === undefined ? undefined : readCString(await readClamped(src, versionAt, VERSION_STRING_MAX), 0);
  const h = decodeBzImageHeader(padded, version);
  const parts: Part[] = [];
  if (h.payloadFileOffset !== undefined && h.payloadLength !== undefined) {
    const end = h.payloadFileOffset + h.payloadLength;
    if (end > src.size) {
      findings.push(finding('truncated', `the payload (${h.payloadLength} bytes at ${h.payloadFileOffset}) runs ${end - src.size} bytes past the end of the file`,
        'the kernel was cut short', 0x24c));
    } else if (h.payloadLength >= 4) {
      // The build appends the decompressed size to every payload (gzip's ISIZE is the same word).
      const sizeWord = readU32LE(await src.read(end - 4, 4), 0);
      const head = await readClamped(src, h.payloadFileOffset, Math.min(h.payloadLength, PAYLOAD_PROBE));
      if (findPayloads(head, { maxCandidates: 1 })[0]?.offset !== 0) {
        // Every bzImage's payload is a compressed vmlinux: without one, the decompressor stops with an error.
        const found = Array.from(head.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
        findings.push(finding('malformed',
          `the payload at ${hex32(h.payloadFileOffset)} (payload_offset ${hex32(h.payloadOffset!)} past the protected-mode code at ${hex32(h.protectedModeOffset)}) is not a compressed stream: expected a gzip, bzip2, lzma, xz, lzo, lz4 or zstd header that checks out, found ${found}`,
          'the payload or payload_offset (0x248) is damaged and the kernel cannot boot: re-copy or rebuild the bzImage', h.payloadFileOffset));
      }
      parts.push({ name: 'payload', offset: h.payloadFileOffset, length: h.payloadLength, uncompressedSize: sizeWord, sizeSource: 'bzimage-size-trailer' });
    }
  }
  if (h.protectedModeOffset > src.size) {
    findings.push(finding('truncated', `setup_sects puts the protected-mode code at ${h.protectedModeOffset}, past the end of the file`,
      'the kernel was cut short, or setup_sects is damaged', 0x1f1));
  }
  const kind = h.loadflags.loadedHigh ? 'bzImage' : 'zImage';
  return {
    format: 'bzimage',
    value: h,
    findings,
    parts,
    summary: `x86 Linux ${kind}, boot protocol ${h.protocol.major}.${String(h.protocol.minor).padStart(2, '0')}${h.kernelVersion ? `, version ${h.kernelVersion}` : ''}`,
    arch: h.xloadflags !== undefined && (h.xloadflags & 1) !== 0 ? 'x86_64' : 'x86',
  };
}

export const bzImageFormat: FormatModule<BzImage> = {
  id: 'bzimage',
  name: 'x86 Linux bzImage',
  signatures: [{ bytes: HDRS, at: HDRS_OFFSET }],
  hexFields: ['protectedModeOffset', 'syssize', 'vidMode', 'rootDev', 'bootFlag', 'raw', 'code32Start', 'initrdAddrMax',
    'kernelAlignment', 'xloadflags', 'payloadOffset', 'payloadLength', 'payloadFileOffset', 'prefAddress', 'initSize',
    'handoverOffset', 'kernelInfoOffset'],
  probe: (head) => isBzImage(head),
  decode: decodeBzImage,
};
