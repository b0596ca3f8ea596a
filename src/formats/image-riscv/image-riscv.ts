/**
 * The RISC-V Linux `Image` header (Documentation/riscv/boot-image-header.rst): 64 little-endian bytes, magic2
 * "RSC\x05" at 0x38 (where arm64 keeps "ARMd") and the deprecated "RISCV\0\0\0" at 0x30. Decode and encode.
 */
import { bytesAt, readU32LE, readU64LE, writeU32LE, writeU64LE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import type { Decoded, FormatModule } from '../registry.js';

export const RISCV_IMAGE_HEADER_SIZE = 64;
/** "RSC\x05" read as a little-endian word: what U-Boot's booti checks. */
export const RISCV_IMAGE_MAGIC2 = 0x05435352;
const MAGIC2_OFFSET = 0x38;
const MAGIC_OFFSET = 0x30;
const MAGIC = [0x52, 0x49, 0x53, 0x43, 0x56, 0, 0, 0]; // "RISCV\0\0\0"
const MZ = [0x4d, 0x5a];

export interface RiscvImage {
  code0: number;
  code1: number;
  /** 0x200000 on RV64, 0x400000 on RV32, 0 for M-mode kernels. */
  textOffset: number;
  imageSize: number;
  flags: number;
  bigEndian: boolean;
  /** Header version, major.minor (0.2 today). */
  version: { major: number; minor: number };
  /** The deprecated "RISCV" magic at 0x30 is present. */
  hasMagic: boolean;
  /** The "RSC\x05" magic at 0x38 is present (header version 0.2 and later). */
  hasMagic2: boolean;
  efiStub: boolean;
  /** res3: where the PE header sits, for EFI stub kernels. */
  peHeaderOffset?: number;
}

export function isRiscvImage(head: Uint8Array): boolean {
  return head.length >= RISCV_IMAGE_HEADER_SIZE
    && (readU32LE(head, MAGIC2_OFFSET) === RISCV_IMAGE_MAGIC2 || bytesAt(head, MAGIC_OFFSET, MAGIC));
}

export function decodeRiscvHeader(head: Uint8Array): RiscvImage {
  const flags = Number(readU64LE(head, 0x18));
  const version = readU32LE(head, 0x20);
  const efiStub = bytesAt(head, 0, MZ);
  return {
    code0: readU32LE(head, 0),
    code1: readU32LE(head, 4),
    textOffset: Number(readU64LE(head, 0x08)),
    imageSize: Number(readU64LE(head, 0x10)),
    flags,
    bigEndian: (flags & 1) !== 0,
    version: { major: version >>> 16, minor: version & 0xffff },
    hasMagic: bytesAt(head, MAGIC_OFFSET, MAGIC),
    hasMagic2: readU32LE(head, MAGIC2_OFFSET) === RISCV_IMAGE_MAGIC2,
    efiStub,
    ...(efiStub ? { peHeaderOffset: readU32LE(head, 0x3c) } : {}),
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
  const out = new Uint8Array(RISCV_IMAGE_HEADER_SIZE);
  writeU32LE(out, 0, spec.code0 ?? 0x0400006f); // jal x0, +64
  writeU64LE(out, 0x08, BigInt(spec.textOffset));
  writeU64LE(out, 0x10, BigInt(spec.imageSize));
  writeU32LE(out, 0x20, 2);
  out.set(MAGIC, MAGIC_OFFSET);
  writeU32LE(out, MAGIC2_OFFSET, RISCV_IMAGE_MAGIC2);
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
