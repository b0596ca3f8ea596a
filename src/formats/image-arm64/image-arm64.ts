/**
 * The arm64 Linux `Image` header (Documentation/arm64/booting.rst): 64 little-endian bytes at the start of the
 * uncompressed kernel, magic "ARM\x64" at 0x38. Decode and encode side by side; the encoder lets a non-Linux payload
 * carry the header so U-Boot's booti takes it.
 */
import { bytesAt, readU32LE, readU64LE, writeU32LE, writeU64LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import type { Decoded, FormatModule } from '../registry.js';

export const ARM64_IMAGE_HEADER_SIZE = 64;
export const ARM64_IMAGE_MAGIC = 0x644d5241;
const MAGIC_OFFSET = 0x38;
const MZ = [0x4d, 0x5a];

/** U-Boot's booti assumes these for a pre-3.17 header whose image_size is 0. */
export const ARM64_LEGACY_TEXT_OFFSET = 0x80000;

export interface Arm64ImageFlags {
  bigEndian: boolean;
  /** 4096, 16384 or 65536; null when the header leaves it unspecified. */
  pageSize: number | null;
  /** Bit 3: the 2 MiB-aligned base may be anywhere in RAM (else as low as possible). */
  anywhereInRam: boolean;
}

export interface Arm64Image {
  code0: number;
  code1: number;
  /** Load offset from a 2 MiB-aligned base (0 since Linux 5.8). */
  textOffset: number;
  /** Bytes from the image start the kernel needs, BSS included; 0 in pre-3.17 headers. */
  imageSize: number;
  flags: number;
  flagBits: Arm64ImageFlags;
  magic: number;
  /** An EFI stub kernel (starts with "MZ"): also a PE/COFF executable. */
  efiStub: boolean;
  /** res5: where the PE header sits, for EFI stub kernels. */
  peHeaderOffset?: number;
}

const PAGE_SIZES = [null, 4096, 16384, 65536] as const;

export function decodeArm64Flags(flags: number): Arm64ImageFlags {
  return { bigEndian: (flags & 1) !== 0, pageSize: PAGE_SIZES[(flags >> 1) & 3]!, anywhereInRam: (flags & 8) !== 0 };
}

/** Is this the start of an arm64 Image? */
export function isArm64Image(head: Uint8Array): boolean {
  return head.length >= ARM64_IMAGE_HEADER_SIZE && readU32LE(head, MAGIC_OFFSET) === ARM64_IMAGE_MAGIC;
}

/** The header fields, from the first 64 bytes. 64-bit fields above 2^53 are not meaningful and lose precision. */
export function decodeArm64Header(head: Uint8Array): Arm64Image {
  const flags = Number(readU64LE(head, 0x18));
  const efiStub = bytesAt(head, 0, MZ);
  return {
    code0: readU32LE(head, 0),
    code1: readU32LE(head, 4),
    textOffset: Number(readU64LE(head, 0x08)),
    imageSize: Number(readU64LE(head, 0x10)),
    flags,
    flagBits: decodeArm64Flags(flags),
    magic: readU32LE(head, MAGIC_OFFSET),
    efiStub,
    ...(efiStub ? { peHeaderOffset: readU32LE(head, 0x3c) } : {}),
  };
}

export interface Arm64HeaderSpec {
  /** The first instruction; the default branches over the header to offset 64 (`b #64`). */
  code0?: number;
  textOffset: number;
  imageSize: number;
  flags?: Partial<Arm64ImageFlags>;
}

/** A header for a payload that follows it: by default code0 branches past the 64 bytes, as non-Linux images do. */
export function encodeArm64Header(spec: Arm64HeaderSpec): Uint8Array {
  const out = new Uint8Array(ARM64_IMAGE_HEADER_SIZE);
  const page = PAGE_SIZES.indexOf((spec.flags?.pageSize ?? 4096) as (typeof PAGE_SIZES)[number]);
  const flags = (spec.flags?.bigEndian ? 1 : 0) | (Math.max(0, page) << 1) | (spec.flags?.anywhereInRam ? 8 : 0);
  writeU32LE(out, 0, spec.code0 ?? 0x14000010); // b . + 64
  writeU64LE(out, 0x08, BigInt(spec.textOffset));
  writeU64LE(out, 0x10, BigInt(spec.imageSize));
  writeU64LE(out, 0x18, BigInt(flags));
  writeU32LE(out, MAGIC_OFFSET, ARM64_IMAGE_MAGIC);
  return out;
}

function arm64Findings(h: Arm64Image, fileSize: number): Finding[] {
  // image_size counts the kernel with its BSS, so the file is always shorter; what lies beyond is not kernel.
  if (h.imageSize === 0 || h.imageSize >= fileSize) return [];
  return [finding('trailing-bytes', `${fileSize - h.imageSize} bytes follow image_size (${h.imageSize}), which already includes the BSS`,
    'a concatenated file, or a damaged image_size', h.imageSize)];
}

export const arm64ImageFormat: FormatModule<Arm64Image> = {
  id: 'image-arm64',
  name: 'arm64 Linux Image',
  signatures: [{ bytes: [0x41, 0x52, 0x4d, 0x64], at: MAGIC_OFFSET }],
  hexFields: ['code0', 'code1', 'textOffset', 'imageSize', 'flags', 'magic', 'peHeaderOffset'],
  probe: (head) => isArm64Image(head),
  async decode(src: ByteSource): Promise<Decoded<Arm64Image>> {
    const h = decodeArm64Header(await src.read(0, ARM64_IMAGE_HEADER_SIZE));
    const page = h.flagBits.pageSize ? `${h.flagBits.pageSize / 1024}K pages` : 'page size unspecified';
    return {
      format: 'image-arm64',
      value: h,
      findings: arm64Findings(h, src.size),
      summary: `arm64 Linux Image, ${h.flagBits.bigEndian ? 'big' : 'little'}-endian, ${page}${h.efiStub ? ', EFI stub' : ''}`,
      arch: 'arm64',
    };
  },
};
