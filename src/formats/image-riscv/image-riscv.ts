/**
 * The RISC-V Linux `Image` header (Documentation/riscv/boot-image-header.rst): 64 little-endian bytes, magic2
 * "RSC\x05" at 0x38 (where arm64 keeps "ARMd") and the deprecated "RISCV\0\0\0" at 0x30. Decode and encode.
 */
import { bytesAt, readU32LE, writeU32LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import { decodeLinuxImageHeader, encodeLinuxImageHeader, LINUX_IMAGE_HEADER_SIZE, type LinuxImageHeader } from '../linux-image-header.js';
import type { Decoded, FormatModule } from '../types.js';

export const RISCV_IMAGE_HEADER_SIZE = LINUX_IMAGE_HEADER_SIZE;
/** "RSC\x05" read as a little-endian word: what U-Boot's booti checks. */
export const RISCV_IMAGE_MAGIC2 = 0x05435352;
const MAGIC2_OFFSET = 0x38;
const MAGIC_OFFSET = 0x30;
const MAGIC = [0x52, 0x49, 0x53, 0x43, 0x56, 0, 0, 0]; // "RISCV\0\0\0"

export interface RiscvImage extends LinuxImageHeader {
  bigEndian: boolean;
  /** Header version, major.minor (0.2 today). */
  version: { major: number; minor: number };
  /** The deprecated "RISCV" magic at 0x30 is present. */
  hasMagic: boolean;
  /** The "RSC\x05" magic at 0x38 is present (header version 0.2 and later). */
  hasMagic2: boolean;
}

export function isRiscvImage(head: Uint8Array): boolean {
  return head.length >= RISCV_IMAGE_HEADER_SIZE
    && (readU32LE(head, MAGIC2_OFFSET) === RISCV_IMAGE_MAGIC2 || bytesAt(head, MAGIC_OFFSET, MAGIC));
}

export function decodeRiscvHeader(head: Uint8Array): RiscvImage {
  const common = decodeLinuxImageHeader(head);
  const version = readU32LE(head, 0x20);
  return {
    ...common,
    bigEndian: (common.flags & 1) !== 0,
    version: { major: version >>> 16, minor: version & 0xffff },
    hasMagic: bytesAt(head, MAGIC_OFFSET, MAGIC),
    hasMagic2: readU32LE(head, MAGIC2_OFFSET) === RISCV_IMAGE_MAGIC2,
  };
}

export interface RiscvHeaderSpec {
  /** The first instruction; the default jumps over the header to offset 64 (`j 64`). */
  code0?: number;
  textOffset: number;
  imageSize: number;
}

/** A version 0.2 header with both magics, for a payload that follows it. */
export function encodeRiscvHeader(spec: RiscvHeaderSpec): Uint8Array {
  const out = encodeLinuxImageHeader({ code0: spec.code0 ?? 0x0400006f /* jal x0, +64 */, textOffset: spec.textOffset, imageSize: spec.imageSize, flags: 0, magic: RISCV_IMAGE_MAGIC2 });
  writeU32LE(out, 0x20, 2);
  out.set(MAGIC, MAGIC_OFFSET);
  return out;
}

function riscvFindings(h: RiscvImage): Finding[] {
  const out: Finding[] = [];
  if (h.imageSize === 0) {
    out.push(finding('malformed', 'image_size is 0', 'loaders need image_size to place the kernel; the header is damaged', 0x10));
  }
  if (!h.hasMagic2) {
    out.push(finding('malformed', 'no "RSC\\x05" magic at 0x38, only the deprecated "RISCV" at 0x30',
      'U-Boot\'s booti checks the magic at 0x38 (header version 0.2)', MAGIC2_OFFSET));
  }
  return out;
}

export const riscvImageFormat: FormatModule<RiscvImage> = {
  id: 'image-riscv',
  name: 'RISC-V Linux Image',
  signatures: [{ bytes: [0x52, 0x53, 0x43, 0x05], at: MAGIC2_OFFSET }],
  hexFields: ['code0', 'code1', 'textOffset', 'imageSize', 'flags', 'peHeaderOffset'],
  probe: (head) => isRiscvImage(head),
  async decode(src: ByteSource): Promise<Decoded<RiscvImage>> {
    const h = decodeRiscvHeader(await src.read(0, RISCV_IMAGE_HEADER_SIZE));
    return {
      format: 'image-riscv',
      value: h,
      findings: riscvFindings(h),
      summary: `RISC-V Linux Image, header ${h.version.major}.${h.version.minor}${h.efiStub ? ', EFI stub' : ''}`,
      arch: 'riscv',
    };
  },
};
