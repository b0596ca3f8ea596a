/**
 * The 64-byte header arm64 and RISC-V Linux Images share (RISC-V copied arm64's layout): two instruction words,
 * text_offset, image_size and flags as little-endian u64s, a magic at 0x38 and, for EFI stub kernels, "MZ" at 0 and
 * the PE header's offset at 0x3C. Each format module adds its own magic and fields.
 */
import { bytesAt, readU32LE, readU64LE, writeU32LE, writeU64LE } from '../bytes/endian.js';

export const LINUX_IMAGE_HEADER_SIZE = 64;
const MZ = [0x4d, 0x5a];

export interface LinuxImageHeader {
  code0: number;
  code1: number;
  /** Load offset from the aligned base the loader picks. */
  textOffset: number;
  /** Bytes from the image start the kernel needs, BSS included. */
  imageSize: number;
  flags: number;
  /** Starts with "MZ": an EFI stub kernel, also a PE/COFF file. */
  efiStub: boolean;
  /** EFI stub kernels: where the PE header sits. */
  peHeaderOffset?: number;
}

/** The shared fields. 64-bit fields past 2^53 are not meaningful and lose precision. */
export function decodeLinuxImageHeader(head: Uint8Array): LinuxImageHeader {
  const efiStub = bytesAt(head, 0, MZ);
  return {
    code0: readU32LE(head, 0),
    code1: readU32LE(head, 4),
    textOffset: Number(readU64LE(head, 0x08)),
    imageSize: Number(readU64LE(head, 0x10)),
    flags: Number(readU64LE(head, 0x18)),
    efiStub,
    ...(efiStub ? { peHeaderOffset: readU32LE(head, 0x3c) } : {}),
  };
}

/** A header with the shared fields and `magic` (LE word) at 0x38; the caller adds format-specific words. */
export function encodeLinuxImageHeader(h: { code0: number; textOffset: number; imageSize: number; flags: number; magic: number }): Uint8Array {
  const out = new Uint8Array(LINUX_IMAGE_HEADER_SIZE);
  writeU32LE(out, 0, h.code0);
  writeU64LE(out, 0x08, BigInt(h.textOffset));
  writeU64LE(out, 0x10, BigInt(h.imageSize));
  writeU64LE(out, 0x18, BigInt(h.flags));
  writeU32LE(out, 0x38, h.magic);
  return out;
}
