/**
 * Where the ARM zImage decompressor (arch/arm/boot/compressed/head.S, AUTO_ZRELADDR) writes when the zImage runs at
 * a given address. This is the one model of it: inspect's rules, the layout checker and kexec plan apply it, each
 * with its own policy (findings, RAM regions, placement advice).
 *
 * head.S decompresses the kernel to (pc & 0xF8000000) + TEXT_OFFSET and builds a 16 KiB page directory, 16 KiB
 * aligned, below it (the kernel later puts its own there); the kernel then clears its BSS. The running zImage takes
 * its file, an appended DTB (rounded to 8 bytes), a 4 KiB stack and the malloc area. It stays where it is when that
 * footprint ends 16 KiB below the kernel, or when the kernel's text and data end before the zImage starts (with an
 * appended DTB, the BSS must also end before the DTB). Otherwise it first copies itself past the kernel's text and
 * data and runs there.
 */
import { alignDown, alignUp } from '../../bytes/align.js';
import { ARM_DEFAULT_TEXT_OFFSET, type ZImageArm } from './zimage-arm.js';

/** AUTO_ZRELADDR: the kernel goes to the 128 MiB-aligned region the zImage runs in. */
const ZRELADDR_MASK = 0xf8000000;
/** The decompressor's page directory, 16 KiB aligned below the kernel. */
const PAGE_DIRECTORY_SIZE = 0x4000;
/** The decompressor's stack (the .stack section), past its own small BSS. */
export const ZIMAGE_STACK_SIZE = 0x1000;
/** MALLOC_SIZE for kernels whose size record does not carry it (before 6.1). */
export const ZIMAGE_DEFAULT_MALLOC_SIZE = 0x10000;
/**
 * The copy starts on a 256-byte boundary past the kernel. head.S also skips its relocation code's size there (0x900
 * in Debian's 6.1 armmp kernel) but leaves out the code before `restart` (0x1000 + 0xa0 there, behind the EFI
 * header); the image records neither, so the copy is taken as the whole footprint from that boundary, as kexec-tools
 * reckons it.
 */
const RELOCATION_ALIGN = 0x100;
/** An appended DTB keeps 64-bit alignment for what follows it. */
const APPENDED_DTB_ALIGN = 8;

/** [start, end): addresses the decompressor writes or occupies. */
export interface AddressRange {
  start: number;
  end: number;
}

export interface ArmDecompression {
  /** The kernel's TEXT_OFFSET: from its size record, else the traditional 0x8000. */
  textOffset: number;
  /** Where the kernel is decompressed and entered: the 128 MiB-aligned base + TEXT_OFFSET. */
  kernelStart: number;
  /** The page directory below the kernel. */
  pageTables: AddressRange;
  /** The decompressed kernel's text and data, then its BSS. */
  kernel: AddressRange;
  /** The zImage where it runs: its bytes, an appended DTB, its stack and malloc area. */
  image: AddressRange;
  /** Where it copies itself (with its stack and malloc area) before decompressing; absent when it stays. */
  moved?: AddressRange;
  /** Its stack and malloc area past the zImage's bytes, when it uses them in place. */
  inPlaceWorkspace?: AddressRange;
  /** Every range it writes, each named for people; `moved` overlaps the kernel's BSS by design. */
  writes: (AddressRange & { what: string })[];
}

/**
 * The decompressor's writes for a zImage that runs at `runAt`, or undefined when the zImage has no kernel size
 * record (before Linux 4.x): how far the kernel then reaches is unknown. Callers that load only end - start bytes
 * (kexec-tools) pass the zImage without its appendedDtb.
 */
export function armDecompression(z: Pick<ZImageArm, 'length' | 'kernelSize' | 'appendedDtb'>, runAt: number): ArmDecompression | undefined {
  const ks = z.kernelSize;
  if (!ks) return undefined;
  const textOffset = ks.textOffset ?? ARM_DEFAULT_TEXT_OFFSET;
  const kernelStart = ((runAt & ZRELADDR_MASK) >>> 0) + textOffset;
  const directory = Math.max(0, alignDown(kernelStart - PAGE_DIRECTORY_SIZE, PAGE_DIRECTORY_SIZE));
  const pageTables = { start: directory, end: directory + PAGE_DIRECTORY_SIZE };
  const dataEnd = kernelStart + ks.decompressedSize;
  const kernel = { start: kernelStart, end: dataEnd + ks.bssSize };
  const dtb = z.appendedDtb ? alignUp(z.appendedDtb.totalSize, APPENDED_DTB_ALIGN) : 0;
  const fileEnd = runAt + z.length + dtb;
  const footprint = z.length + dtb + ZIMAGE_STACK_SIZE + (ks.mallocSize ?? ZIMAGE_DEFAULT_MALLOC_SIZE);
  const image = { start: runAt, end: runAt + footprint };
  // head.S compares against its own code a little past the start; the start is the safe side.
  const reach = z.appendedDtb ? Math.max(dataEnd, kernel.end - z.length) : dataEnd;
  const stays = image.end + PAGE_DIRECTORY_SIZE <= kernelStart || reach <= runAt;
  const movedTo = alignUp(reach, RELOCATION_ALIGN);
  const moved = stays ? undefined : { start: movedTo, end: movedTo + footprint };
  // Fixing up an appended DTB (ATAG_DTB_COMPAT) runs on the stack in place, before any move.
  const inPlaceWorkspace = !moved || z.appendedDtb ? { start: fileEnd, end: image.end } : undefined;
  const writes = [{ what: 'page tables', ...pageTables }, { what: 'decompressed kernel and BSS', ...kernel }];
  if (moved) writes.push({ what: 'moved zImage', ...moved });
  if (inPlaceWorkspace) writes.push({ what: 'zImage stack and malloc area', ...inPlaceWorkspace });
  return { textOffset, kernelStart, pageTables, kernel, image, ...(moved ? { moved } : {}), ...(inPlaceWorkspace ? { inPlaceWorkspace } : {}), writes };
}
