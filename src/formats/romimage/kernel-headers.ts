/**
 * STAND-INS, to be replaced by the zimage-arm and image-arm64 format modules (branch issue3-inspect) once merged:
 * only the header words the ROM builder needs to validate and place an ARM zImage or an arm64 Image
 * (Documentation/arm/booting.rst, Documentation/arm64/booting.rst).
 */
import { UimgError, hex32 } from '../../errors.js';

export const KERNEL_HEAD_SIZE = 0x40;

const ZIMAGE_MAGIC = 0x016f2818;
const ARM64_MAGIC = 0x644d5241; // "ARMd"

export interface ArmZImageFacts {
  endian: 'little' | 'big';
  /** end - start: the zImage without any appended DTB. */
  length: number;
}

function notA(what: string, field: string, offset: number, expected: string, actual: string, hint: string): UimgError {
  return new UimgError('BAD_MAGIC', `not ${what}: ${field} at ${hex32(offset)}: expected ${expected}, found ${actual}`,
    { field, offset, expected, actual }, hint);
}

export function armZImageFactsMinimal(head: Uint8Array, size: number): ArmZImageFacts {
  const hint = 'an ARM zImage is arch/arm/boot/zImage (Debian: /boot/vmlinuz-*-armmp); use arm64 for an AArch64 Image';
  if (size < KERNEL_HEAD_SIZE || head.length < KERNEL_HEAD_SIZE) throw notA('an ARM zImage', 'size', 0, `>= ${KERNEL_HEAD_SIZE} bytes`, `${size} bytes`, hint);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = view.getUint32(0x24, true) === ZIMAGE_MAGIC;
  if (!le && view.getUint32(0x24, false) !== ZIMAGE_MAGIC) throw notA('an ARM zImage', 'magic', 0x24, hex32(ZIMAGE_MAGIC), hex32(view.getUint32(0x24, true)), hint);
  const start = view.getUint32(0x28, le);
  const end = view.getUint32(0x2c, le);
  const length = (end - start) >>> 0;
  if (length === 0 || length > size) {
    throw new UimgError('TRUNCATED', `ARM zImage: start ${hex32(start)} / end ${hex32(end)} give ${length} bytes, the file has ${size}`,
      { field: 'end', offset: 0x2c, expected: `<= ${size}`, actual: length }, 'the zImage is cut short');
  }
  return { endian: le ? 'little' : 'big', length };
}

export interface Arm64ImageFacts {
  textOffset: number;
  /** Bytes the kernel occupies from its start, BSS included. */
  imageSize: number;
  flags: number;
}

export function arm64ImageFactsMinimal(head: Uint8Array, size: number): Arm64ImageFacts {
  const hint = 'an arm64 Image is arch/arm64/boot/Image (Debian: /boot/vmlinuz-*-arm64), uncompressed; gunzip an Image.gz first';
  if (size < KERNEL_HEAD_SIZE || head.length < KERNEL_HEAD_SIZE) throw notA('an arm64 Image', 'size', 0, `>= ${KERNEL_HEAD_SIZE} bytes`, `${size} bytes`, hint);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint32(0x38, true);
  if (magic !== ARM64_MAGIC) throw notA('an arm64 Image', 'magic', 0x38, '"ARMd"', hex32(magic), hint);
  const flags = Number(view.getBigUint64(0x18, true));
  if (flags & 1) {
    throw new UimgError('UNSUPPORTED_TYPE', 'the arm64 Image is a big-endian kernel; the ROM stub starts little-endian kernels only',
      { field: 'flags', offset: 0x18, actual: flags });
  }
  const imageSize = Number(view.getBigUint64(0x10, true));
  // Images before Linux 3.17 leave image_size 0: text_offset is then 0x80000 by convention (U-Boot assumes 16 MiB).
  if (imageSize === 0) return { textOffset: 0x80000, imageSize: Math.max(size, 16 << 20), flags };
  return { textOffset: Number(view.getBigUint64(0x08, true)), imageSize: Math.max(imageSize, size), flags };
}
