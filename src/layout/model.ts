/**
 * The board layout: RAM, the flash device and its partitions, which image goes where, the loader and the kernel
 * command line. Plain data with every number resolved to bytes; `parseLayout` builds it from JSON or YAML text.
 * Image files are named relative to the layout file; reading them is the caller's business (see `uimg/node`).
 */

/** Flash kinds: raw NAND, parallel NOR, serial NOR on SPI or QSPI, and block devices (SD card, eMMC). */
export const FLASH_KINDS = ['nand', 'nor', 'spi', 'qspi', 'sd', 'mmc'] as const;
export type FlashKind = (typeof FLASH_KINDS)[number];

/** Block devices are read in 512-byte sectors and have no erase blocks a loader must respect. */
export const isBlockDevice = (kind: FlashKind): boolean => kind === 'sd' || kind === 'mmc';

/** What a partition holds. Only the kernel, DTB and initrd are copied into RAM by the loader. */
export const IMAGE_ROLES = ['bootstrap', 'uboot', 'env', 'kernel', 'dtb', 'initrd', 'rootfs'] as const;
export type ImageRole = (typeof IMAGE_ROLES)[number];
export const RAM_ROLES: readonly ImageRole[] = ['kernel', 'dtb', 'initrd'];

/** The first-stage or boot loader that reads the kernel from flash. */
export const LOADER_KINDS = ['at91bootstrap', 'u-boot', 'spl-falcon', 'kexec'] as const;
export type LoaderKind = (typeof LOADER_KINDS)[number];

export interface RamSpec {
  base: number;
  size: number;
}

export interface FlashSpec {
  kind: FlashKind;
  /** Device size in bytes. */
  size: number;
  /** NAND page; SD/MMC sector (512); 1 for NOR and serial NOR (byte-addressable reads). */
  pageSize: number;
  /** NAND erase block or NOR sector; the sector size for SD/MMC. */
  eraseBlockSize: number;
  /** The value of an erased byte, used between images when composing a flash image (0xFF). */
  erasedByte: number;
  /** Linux MTD device name for `mtdparts=` (e.g. atmel_nand, spi0.0). */
  mtdId?: string;
  /** CPU address where a parallel NOR flash is mapped (for U-Boot's cp.b and bootm from flash). */
  mapBase?: number;
  /** U-Boot device number: `mmc dev N`, `sf probe N`. */
  device?: number;
}

export interface Partition {
  name: string;
  offset: number;
  size: number;
  readOnly: boolean;
}

export interface ImagePlacement {
  role: ImageRole;
  /** Path relative to the layout file; absent when the image is not at hand (its size is then not checked). */
  file?: string;
  /** Name of the partition it is written to. */
  partition: string;
  /** RAM address the loader copies it to (kernel: the staging address; dtb, initrd: where they stay). */
  ramAddress?: number;
}

export interface BoardLayout {
  board?: string;
  ram: RamSpec;
  flash: FlashSpec;
  partitions: Partition[];
  images: Partial<Record<ImageRole, ImagePlacement>>;
  loader?: LoaderKind;
  /** The kernel command line (bootargs). */
  cmdline?: string;
  /** Where each field sits in the source text, by path (`partitions[2].offset`), for located messages. */
  locations: ReadonlyMap<string, SourcePosition>;
  /** The layout file's name as given to the parser, for messages. */
  file: string;
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** `file:line:col` for a field, or just the file name when the field has no position. */
export function locate(layout: Pick<BoardLayout, 'file' | 'locations'>, path: string): string {
  const at = layout.locations.get(path);
  return at ? `${layout.file}:${at.line}:${at.column}` : layout.file;
}

export function partitionByName(layout: BoardLayout, name: string): Partition | undefined {
  return layout.partitions.find((p) => p.name === name);
}

/** The images in a fixed order (the IMAGE_ROLES order), for deterministic output. */
export function placedImages(layout: BoardLayout): ImagePlacement[] {
  return IMAGE_ROLES.flatMap((role) => (layout.images[role] ? [layout.images[role]!] : []));
}
