/**
 * The arm64 Linux `Image` header (Documentation/arm64/booting.rst): 64 little-endian bytes at the start of the
 * uncompressed kernel, magic "ARM\x64" at 0x38. Decode and encode side by side; the encoder lets a non-Linux payload
 * carry the header so U-Boot's booti takes it.
 */
import { readU32LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import { decodeLinuxImageHeader, encodeLinuxImageHeader, LINUX_IMAGE_HEADER_SIZE, type LinuxImageHeader } from '../linux-image-header.js';
import type { Decoded, FormatModule } from '../types.js';

export const ARM64_IMAGE_HEADER_SIZE = LINUX_IMAGE_HEADER_SIZE;
export const ARM64_IMAGE_MAGIC = 0x644d5241;
const MAGIC_OFFSET = 0x38;

/** U-Boot's booti and kexec-tools assume these for a pre-3.17 header whose image_size is 0. */
const ARM64_LEGACY_TEXT_OFFSET = 0x80000;
const ARM64_LEGACY_IMAGE_SIZE = 16 << 20;

export interface Arm64ImageFlags {
  bigEndian: boolean;
  /** 4096, 16384 or 65536; null when the header leaves it unspecified. */
  pageSize: number | null;
  /** Bit 3: the 2 MiB-aligned base may be anywhere in RAM (else as low as possible). */
  anywhereInRam: boolean;
}

export interface Arm64Image extends LinuxImageHeader {
  flagBits: Arm64ImageFlags;
  magic: number;
}

const PAGE_SIZES = [null, 4096, 16384, 65536] as const;

export function decodeArm64Flags(flags: number): Arm64ImageFlags {
  return { bigEndian: (flags & 1) !== 0, pageSize: PAGE_SIZES[(flags >> 1) & 3]!, anywhereInRam: (flags & 8) !== 0 };
}

/** Is this the start of an arm64 Image? */
export function isArm64Image(head: Uint8Array): boolean {
  return head.length >= ARM64_IMAGE_HEADER_SIZE && readU32LE(head, MAGIC_OFFSET) === ARM64_IMAGE_MAGIC;
}

/** The header fields, from the first 64 bytes. */
export function decodeArm64Header(head: Uint8Array): Arm64Image {
  const common = decodeLinuxImageHeader(head);
  return { ...common, flagBits: decodeArm64Flags(common.flags), magic: readU32LE(head, MAGIC_OFFSET) };
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
  const page = PAGE_SIZES.indexOf((spec.flags?.pageSize ?? 4096) as (typeof PAGE_SIZES)[number]);
  const flags = (spec.flags?.bigEndian ? 1 : 0) | (Math.max(0, page) << 1) | (spec.flags?.anywhereInRam ? 8 : 0);
  return encodeLinuxImageHeader({ code0: spec.code0 ?? 0x14000010 /* b . + 64 */, textOffset: spec.textOffset, imageSize: spec.imageSize, flags, magic: ARM64_IMAGE_MAGIC });
}

/**
 * Where loaders place the Image above a 2 MiB-aligned base, and the RAM it takes: the header's text_offset and
 * image_size, or for a pre-3.17 header (image_size 0) what booti and kexec-tools assume.
 */
export function arm64Placement(h: Pick<Arm64Image, 'textOffset' | 'imageSize'>): { textOffset: number; imageSize: number; legacy: boolean } {
  if (h.imageSize === 0) return { textOffset: ARM64_LEGACY_TEXT_OFFSET, imageSize: ARM64_LEGACY_IMAGE_SIZE, legacy: true };
  return { textOffset: h.textOffset, imageSize: h.imageSize, legacy: false };
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
