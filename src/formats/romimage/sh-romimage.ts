/**
 * The SH romImage (Linux's arch/sh/boot/romImage, rebuilt without a kernel tree): a flash image that runs from the
 * reset vector.
 *
 *   0                 setup code: the board script's register writes, then (SH-4A boards) the cache tail
 *   …                 copy code: copy the boot-parameter page to the kernel's `_text`, jump to the zImage
 *   L (4-aligned)     two literals: `_text`; the distance to the page (4)
 *   L + 8             the boot-parameter page (PAGE_SIZE bytes)
 *   L + 8 + PAGE_SIZE the zImage (4-aligned, as its PC-relative code needs), run in place; it relocates itself
 *
 * `_text` = PAGE_OFFSET + MEMORY_START + ZERO_PAGE_OFFSET (29-bit addressing; with 32-bit PMB addressing the kernel
 * links `_text` at PAGE_OFFSET + ZERO_PAGE_OFFSET). The kernel's entry is `_text + PAGE_SIZE`.
 */
import { sh4Assembler } from '../../asm/sh4.js';
import type { Endian } from '../../asm/assembler.js';
import type { ByteSink, ByteSource } from '../../bytes/source.js';
import { UimgError, hex32 } from '../../errors.js';
import { parseShZImage, SH_ZIMAGE_HEAD, type ShZImage } from '../zimage-sh/zimage-sh.js';
import { assembleCacheTail, assembleCommand, assembleCopyAndJump } from './sh-code.js';
import type { ScriptCommand } from './script.js';
import type { RomLayout, RomRegion } from './layout.js';
import type { PageSize } from './zero-page.js';

export interface ShBoard {
  name: string;
  description: string;
  memoryStart: number;
  zeroPageOffset: number;
  pageSize: PageSize;
  /** SH-4A boards whose Linux romimage.h ends the script with the icbi cache tail. */
  cacheTail: boolean;
}

/** Board presets: the values of their Linux 6.1 defconfigs (MEMORY_START, ZERO_PAGE_OFFSET, 4 KiB pages). */
export const SH_BOARDS: readonly ShBoard[] = [
  { name: 'kfr2r09', description: 'KFR2R09 (SH7724), kfr2r09-romimage_defconfig', memoryStart: 0x08000000, zeroPageOffset: 0x1000, pageSize: 4096, cacheTail: true },
  { name: 'ecovec24', description: 'EcoVec (SH7724), ecovec24-romimage_defconfig', memoryStart: 0x08000000, zeroPageOffset: 0x1000, pageSize: 4096, cacheTail: true },
  { name: 'r2d', description: 'RTS7751R2D (SH7751R, QEMU -M r2d), rts7751r2dplus_defconfig', memoryStart: 0x0c000000, zeroPageOffset: 0x10000, pageSize: 4096, cacheTail: false },
];

export const DEFAULT_PAGE_OFFSET = 0x80000000;
/** Where an SH-4 fetches its first instruction: physical 0 through the uncached P2 segment. */
export const SH_RESET_ADDRESS = 0xa0000000;

export interface ShRomOptions {
  endian: Endian;
  commands: readonly ScriptCommand[];
  /** Emit the SH-4A icbi tail after the script, on this address (kfr2r09/ecovec24: the P2 alias of RAM). */
  icbiAddress?: number;
  pageOffset: number;
  memoryStart: number;
  zeroPageOffset: number;
  pageSize: PageSize;
  addressMode: 29 | 32;
  /** The boot-parameter page, exactly pageSize bytes. */
  zeroPage: Uint8Array;
  /** The address the ROM runs at (for the map). */
  romAddress: number;
}

/** The kernel's `_text`, where the boot-parameter page goes. */
export function kernelText(o: Pick<ShRomOptions, 'pageOffset' | 'memoryStart' | 'zeroPageOffset' | 'addressMode'>): number {
  return (o.pageOffset + (o.addressMode === 32 ? 0 : o.memoryStart) + o.zeroPageOffset) >>> 0;
}

export interface ShRomPlan {
  /** Everything before the payload: setup code, copy code, the page. */
  head: Uint8Array;
  layout: RomLayout;
  commandCount: number;
  payloadOffset: number;
  zimage?: ShZImage;
}

/** Lay out a romImage around a payload of `payloadSize` bytes (zImage when `zimage` is given, else raw). */
export function planShRomImage(o: ShRomOptions, payloadSize: number, zimage?: ShZImage): ShRomPlan {
  if (o.zeroPage.length !== o.pageSize) {
    throw new UimgError('BAD_VALUE', `the boot-parameter page is ${o.zeroPage.length} bytes, the page size ${o.pageSize}`,
      { field: 'zeroPage', expected: o.pageSize, actual: o.zeroPage.length }, 'the page must be exactly one page, as .empty_zero_page is');
  }
  if (zimage && zimage.endian !== o.endian) {
    throw new UimgError('BAD_VALUE', `the zImage is ${zimage.endian}-endian, the ROM ${o.endian}-endian`,
      { field: 'endian', expected: o.endian, actual: zimage.endian }, `pass --endian ${zimage.endian}`);
  }
  const text = kernelText(o);
  const a = sh4Assembler(0);
  let commandCount = 0;
  for (const c of o.commands) {
    if (c.op !== 'LIST') commandCount++;
    assembleCommand(a, c);
  }
  const setupEnd = a.layout().end;
  if (o.icbiAddress !== undefined) assembleCacheTail(a, o.icbiAddress);
  const tailEnd = a.layout().end;
  assembleCopyAndJump(a, Math.log2(o.pageSize), text);
  const code = a.assemble(o.endian);
  const head = new Uint8Array(code.length + o.pageSize);
  head.set(code);
  head.set(o.zeroPage, code.length);
  const payloadOffset = head.length;
  const at = (offset: number) => (o.romAddress + offset) >>> 0;
  const regions: RomRegion[] = [
    ...(setupEnd > 0 ? [{ name: 'setup', offset: 0, size: setupEnd, address: at(0), use: 'runs in place' as const, detail: `${commandCount} script commands` }] : []),
    ...(o.icbiAddress !== undefined
      ? [{ name: 'cache tail', offset: setupEnd, size: tailEnd - setupEnd, address: at(setupEnd), use: 'runs in place' as const, detail: `icbi @${hex32(o.icbiAddress)}` }]
      : []),
    { name: 'copy code', offset: tailEnd, size: code.length - tailEnd, address: at(tailEnd), use: 'runs in place', detail: `page -> ${hex32(text)}, then jump to the payload` },
    { name: 'boot-parameter page', offset: code.length, size: o.pageSize, address: text, use: 'copied', detail: 'empty_zero_page, at _text' },
    {
      name: zimage ? 'zImage' : 'payload', offset: payloadOffset, size: payloadSize, address: at(payloadOffset), use: 'runs in place',
      ...(zimage?.linkAddress !== undefined ? { detail: `relocates itself to ${hex32(zimage.linkAddress)}` } : {}),
    },
  ];
  return {
    head,
    commandCount,
    payloadOffset,
    ...(zimage ? { zimage } : {}),
    layout: {
      kind: 'sh',
      regions,
      entry: zimage
        ? { address: zimage.kernelEntry, registers: {}, detail: `kernel entry (_text + PAGE_SIZE = ${hex32(text + o.pageSize)}), reached through the zImage` }
        : { address: at(payloadOffset), registers: {}, detail: 'payload, run in place' },
      size: payloadOffset + payloadSize,
    },
  };
}

export interface ShPayload {
  source: ByteSource;
  /** A bare-metal payload: skip the zImage check. */
  raw: boolean;
}

/** Check the payload (unless raw) and write the romImage. */
export async function writeShRomImage(o: ShRomOptions, payload: ShPayload, sink: ByteSink): Promise<ShRomPlan> {
  const size = payload.source.size;
  if (size === 0) throw new UimgError('EMPTY_INPUT', 'the payload is empty', { field: 'payload' });
  const zimage = payload.raw ? undefined : parseShZImage(await payload.source.read(0, SH_ZIMAGE_HEAD), size);
  const plan = planShRomImage(o, size, zimage);
  await sink.write(plan.head);
  for await (const chunk of payload.source.chunks(0, size)) await sink.write(chunk);
  return plan;
}
