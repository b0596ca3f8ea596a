/**
 * The ordered list of formats. Probing runs in this order and the first match wins; a format whose magic can sit
 * inside another's payload must come after the wrapper (a uImage often wraps a zImage, so uImage goes first).
 * Formats whose magic sits at offset 0 come before those that look further in (0x24, 0x38, 0x202), so a magic at 0
 * is never mistaken for bytes deeper in another header; compressed streams come last.
 */
import type { FormatModule } from './types.js';
import { uimageFormat } from './uimage/format.js';
import { fdtFormat } from './fdt/format.js';
import { elfFormat } from './elf/elf.js';
import { bzImageFormat } from './bzimage/bzimage.js';
import { arm64ImageFormat } from './image-arm64/image-arm64.js';
import { riscvImageFormat } from './image-riscv/image-riscv.js';
import { zImageArmFormat } from './zimage-arm/zimage-arm.js';
import { compressedStreamFormat } from './compressed/stream.js';
import { romImageFormat } from './romimage/format.js';
import { zImageShFormat } from './zimage-sh/zimage-sh.js';
import { cpioFormat } from './cpio/format.js';

export const FORMATS: readonly FormatModule[] = [
  uimageFormat, fdtFormat, elfFormat, cpioFormat, romImageFormat, bzImageFormat, zImageShFormat, arm64ImageFormat, riscvImageFormat, zImageArmFormat,
  // Last: compression magics are short (lzma's is a guess), and kernels carry them inside.
  compressedStreamFormat,
];

export function probeFormat(head: Uint8Array, size: number): FormatModule | undefined {
  return FORMATS.find((f) => f.probe(head, size));
}

/** The module for a format id, also for the ids a module produces ('fit' is the fdt module's, 'xz' the compressed one's). */
export function formatById(id: string): FormatModule | undefined {
  return FORMATS.find((f) => f.id === id || f.produces?.includes(id));
}
