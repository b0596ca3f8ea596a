/**
 * An AT91Bootstrap defconfig fragment that boots Linux directly, with every value taken from the kernel and DTB
 * files and the flash offsets they are written to. AT91Bootstrap (driver/load_kernel.c) reads the kernel from
 * IMG_ADDRESS to JUMP_ADDR; an uncompressed uImage's data is then copied to ih_load and entered at ih_ep, an ARM
 * zImage runs where it was read. It never decompresses, so a compressed uImage is refused, as is a JUMP_ADDR whose
 * copy would overlap the load range. v4 names (current tree) by default; `v3` gives the 3.x names (LINUX_UIMAGE /
 * LINUX_ZIMAGE, MEM_BANK, MEM_SIZE).
 */
import { UimgError } from '../errors.js';
import { planBoot, requireBootable, type BootPlan } from '../layout/boot.js';
import { kernelLabel, kernelMislabel, kernelReadLength, type DtbImage, type KernelImage } from '../layout/kernel.js';
import type { RamSpec } from '../layout/model.js';
import { hex, humanSize } from '../numbers.js';
import { nameOf } from '../formats/uimage/header.js';
import { comment, kconfigLine, type KconfigValue } from './kconfig.js';

export const AT91_MEDIA = ['nand', 'nor', 'dataflash', 'qspi', 'sd'] as const;
export type At91Media = (typeof AT91_MEDIA)[number];

/** The media choice symbols; QSPI is an interface choice under DATAFLASH and exists in v4 only. */
const MEDIA_SYMBOLS: Record<At91Media, { v4: string[]; v3?: string[] }> = {
  nand: { v4: ['NANDFLASH'], v3: ['NANDFLASH'] },
  nor: { v4: ['FLASH'], v3: ['FLASH'] },
  dataflash: { v4: ['DATAFLASH', 'SPI'], v3: ['DATAFLASH'] },
  qspi: { v4: ['DATAFLASH', 'QSPI'] },
  sd: { v4: ['SDCARD'], v3: ['SDCARD'] },
};

/** v3 chose the RAM size from a list (CONFIG_RAM_32MB ... _512MB). */
const V3_RAM_SIZES = [32, 64, 128, 256, 512];

/** load_kernel.c: `if (sizeof(cmdline_buf) < 10 + strlen(bootargs))` fails the boot; the buffer is 256 bytes. */
export const AT91_CMDLINE_MAX = 246;

/** NAND page size assumed when neither a flag nor a layout gives it: the large-page NAND of current AT91 boards. */
export const NAND_DEFAULT_PAGE = 2048;
/** ARM enters the kernel in A32 state: JUMP_ADDR (where a zImage runs) is an instruction address. */
const ARM_ENTRY_ALIGN = 4;

/**
 * A flash offset the loader reads from must start a page: load_nandflash reads whole pages from a page boundary,
 * so an offset inside a page reads the wrong bytes. `defaulted` says the page size was not given.
 */
export function requirePageAligned(offset: number, field: string, page: { size: number; defaulted: boolean }): void {
  if (offset % page.size === 0) return;
  throw new UimgError('BAD_VALUE',
    `--${field} ${hex(offset)} is not a multiple of the NAND page size (${page.size} bytes${page.defaulted ? ', the default' : ''})`,
    { field, expected: `a multiple of ${hex(page.size)}`, actual: hex(offset) },
    `NAND is read in whole pages: use ${hex(offset - (offset % page.size))} or ${hex(offset - (offset % page.size) + page.size)}${
      page.defaulted ? ', or give the chip\'s page size with --page-size (or a layout)' : ''}`);
}

export interface At91Options {
  kernel: KernelImage;
  media: At91Media;
  /** NAND page size (default NAND_DEFAULT_PAGE): IMG_ADDRESS and OF_OFFSET must be multiples of it. */
  pageSize?: number;
  /** Flash offset of the kernel (unused on SD, where files are read by name). */
  imgAddress: number;
  /** RAM address the kernel file is read to. */
  jumpAddr: number;
  dtb?: { offset: number; address: number; image: DtbImage };
  cmdline?: string;
  /** Checks every range against RAM; v3 also writes it as MEM_BANK and MEM_SIZE. */
  ram?: RamSpec;
  v3?: boolean;
  /** SD: the kernel's file name on the FAT partition (default zImage or uImage, by kind). */
  imageName?: string;
}

export interface At91Config {
  text: string;
  plan: BootPlan;
}

export function at91bootstrapConfig(o: At91Options): At91Config {
  const k = o.kernel;
  const version = o.v3 ? 'v3' : 'v4';
  const mislabel = kernelMislabel(k);
  if (mislabel || (k.kind === 'uimage' && k.compression !== 'none')) {
    throw new UimgError('UNBOOTABLE',
      `AT91Bootstrap cannot boot this uImage: ${mislabel ?? `it is ${k.compression}-compressed`}; it copies the data to the load address and jumps to it, it does not decompress`,
      { field: 'ih_comp', offset: 31, expected: 'none', actual: mislabel ? `${k.compression} label, ${k.dataCompression ?? 'uncompressed'} data` : k.compression },
      'wrap the kernel uncompressed (mkimage -C none with the zImage, which decompresses itself), or give the zImage itself');
  }
  const plan = requireBootable(planBoot({
    loader: 'at91bootstrap', kernel: k, kernelAddress: o.jumpAddr, ...(o.ram ? { ram: o.ram } : {}),
    ...(o.dtb ? { dtb: { address: o.dtb.address, image: o.dtb.image } } : {}),
  }), 'AT91Bootstrap');
  if (o.media === 'nand') {
    const page = { size: o.pageSize ?? NAND_DEFAULT_PAGE, defaulted: o.pageSize === undefined };
    requirePageAligned(o.imgAddress, 'img-address', page);
    if (o.dtb) requirePageAligned(o.dtb.offset, 'of-offset', page);
  }
  if (o.jumpAddr % ARM_ENTRY_ALIGN !== 0) {
    throw new UimgError('BAD_VALUE', `--jump-addr ${hex(o.jumpAddr)} is not ${ARM_ENTRY_ALIGN}-byte aligned`,
      { field: 'jump-addr', expected: `a multiple of ${ARM_ENTRY_ALIGN}`, actual: hex(o.jumpAddr) },
      'JUMP_ADDR is where a zImage runs as ARM code (and where a uImage header is read): use a word-aligned RAM address (e.g. 0x22000000)');
  }
  const media = MEDIA_SYMBOLS[o.media][version];
  if (!media) throw new UimgError('BAD_VALUE', `AT91Bootstrap ${version} has no ${o.media} media option`, { field: 'media', actual: o.media }, 'QSPI needs v4');
  if (o.cmdline !== undefined && new TextEncoder().encode(o.cmdline).length > AT91_CMDLINE_MAX) {
    throw new UimgError('UNBOOTABLE', `AT91Bootstrap refuses a command line over ${AT91_CMDLINE_MAX} bytes (it prefixes mem=...M in a 256-byte buffer)`,
      { field: 'cmdline', expected: `<= ${AT91_CMDLINE_MAX}`, actual: o.cmdline.length }, 'shorten the command line');
  }

  const lines: string[] = [...comment(describe(o, plan, version)), ''];
  const set = (name: string, value: KconfigValue) => lines.push(kconfigLine(name, value));
  set('LOAD_LINUX', true);
  if (o.v3) set(k.kind === 'zimage-arm' ? 'LINUX_ZIMAGE' : 'LINUX_UIMAGE', true);
  for (const m of media) set(m, true);
  if (o.v3 && o.ram) {
    set('MEM_BANK', hex(o.ram.base));
    set('MEM_SIZE', hex(o.ram.size));
    const mb = o.ram.size / (1 << 20);
    if (V3_RAM_SIZES.includes(mb)) set(`RAM_${mb}MB`, true);
  } else if (o.v3) {
    lines.push(...comment('MEM_BANK and MEM_SIZE keep the board\'s defaults: give the RAM base and size to set them'));
  }
  if (o.media === 'sd') set('IMAGE_NAME', o.imageName ?? (k.kind === 'zimage-arm' ? 'zImage' : 'uImage'));
  else set('IMG_ADDRESS', hex(o.imgAddress));
  set('JUMP_ADDR', hex(o.jumpAddr));
  set('OF_LIBFDT', o.dtb !== undefined);
  if (o.dtb) {
    if (o.media !== 'sd') set('OF_OFFSET', hex(o.dtb.offset));
    set('OF_ADDRESS', hex(o.dtb.address));
  }
  if (o.cmdline !== undefined) {
    if (!o.v3) set('OVERRIDE_CMDLINE', true);
    set('LINUX_KERNEL_ARG_STRING', o.cmdline);
  }
  return { text: lines.join('\n') + '\n', plan };
}

function describe(o: At91Options, plan: BootPlan, version: string): string {
  const k = o.kernel;
  const from = o.media === 'sd' ? 'read from the SD card by name' : `read from flash offset ${hex(o.imgAddress)}`;
  const lines = [
    `AT91Bootstrap ${version} defconfig fragment: boot Linux directly (made by uimg from the image headers).`,
    `kernel: ${kernelLabel(k)}${k.uimage ? ` "${nameOf(k.uimage)}"` : ''}, ${kernelReadLength(k)} bytes ${from} to ${hex(o.jumpAddr)}`,
  ];
  if (k.uimage) lines.push(`  its ${k.uimage.dataSize} data bytes are copied to ${hex(k.uimage.load)}; entry ${hex(plan.entry)}`);
  else lines.push(`  it runs where it was read; entry ${hex(plan.entry)}`);
  for (const r of plan.regions.filter((r) => r.role === 'decompressed')) lines.push(`  ${r.name}: ${hex(r.start)}, ${humanSize(r.size)}`);
  if (o.dtb) lines.push(`DTB: ${o.dtb.image.totalSize ?? o.dtb.image.fileSize} bytes from ${o.media === 'sd' ? 'the SD card' : `flash offset ${hex(o.dtb.offset)}`} to ${hex(o.dtb.address)}; entry gets r2 = ${hex(o.dtb.address)}`);
  else lines.push('no DTB: the kernel gets ATAGs at the RAM base + 0x100 (set CONFIG_MACH_TYPE)');
  if (o.cmdline !== undefined && !o.v3) lines.push('AT91Bootstrap puts mem=<RAM size> in front of the command line itself.');
  return lines.join('\n');
}
