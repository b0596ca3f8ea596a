/**
 * U-Boot environment text for a layout: where the kernel, DTB and initrd are read to, the flash reads that put them
 * there (nand, sf, mmc, or cp.b from memory-mapped NOR), the boot command the kernel's kind needs (bootm for a
 * uImage, bootz for an ARM zImage, booti for an arm64 Image), bootargs and mtdparts. Read lengths are the image files'
 * sizes, rounded up to the flash page; nothing is typed in. The text is what mkenvimage (and `uimg loader uboot-env
 * --env-size`) turn into a binary environment.
 */
import { UimgError } from '../errors.js';
import { planBoot, requireBootable } from '../layout/boot.js';
import type { LayoutImages } from '../layout/images.js';
import { type BoardLayout, type ImageRole, isBlockDevice, partitionByName } from '../layout/model.js';
import { alignUp } from '../bytes/align.js';
import { hex } from '../numbers.js';
import type { KernelKind } from '../layout/kernel.js';

const BOOT_COMMAND: Partial<Record<KernelKind, string>> = { uimage: 'bootm', 'zimage-arm': 'bootz', 'image-arm64': 'booti' };

/** U-Boot's standard names for the load addresses (doc/develop/bootstd.rst, include/config_distro_bootcmd.h). */
const ADDRESS_VARIABLE: Partial<Record<ImageRole, string>> = { kernel: 'kernel_addr_r', dtb: 'fdt_addr_r', initrd: 'ramdisk_addr_r' };

/** Linux's mtdparts= (also U-Boot's mtdparts variable): sizes in KiB where exact, `-` for a last partition to the end. */
export function mtdparts(layout: BoardLayout): string {
  const { flash } = layout;
  if (!flash.mtdId) throw new UimgError('BAD_LAYOUT', `${layout.file}: flash.mtdId is needed for mtdparts`, { field: 'flash.mtdId' }, 'e.g. atmel_nand, spi0.0');
  const size = (n: number) => (n % 1024 === 0 ? `${n / 1024}k` : String(n));
  let cursor = 0;
  const parts = layout.partitions.map((p, i) => {
    const toEnd = i === layout.partitions.length - 1 && p.offset + p.size === flash.size;
    const at = p.offset === cursor ? '' : `@${hex(p.offset)}`;
    cursor = p.offset + p.size;
    return `${toEnd ? '-' : size(p.size)}${at}(${p.name})${p.readOnly ? 'ro' : ''}`;
  });
  return `${flash.mtdId}:${parts.join(',')}`;
}

export function ubootEnvText(layout: BoardLayout, images: LayoutImages): string {
  const kernel = images.kernel?.kernel;
  const kernelAt = layout.images.kernel?.ramAddress;
  if (!kernel || kernelAt === undefined) {
    throw new UimgError('BAD_LAYOUT', `${layout.file}: the U-Boot environment needs images.kernel with a file and a ramAddress`, { field: 'images.kernel' });
  }
  const command = BOOT_COMMAND[kernel.kind];
  if (!command) throw new UimgError('UNBOOTABLE', `U-Boot has no boot command for a kernel of kind ${kernel.kind}`, { field: 'images.kernel' });
  const loaded = (['kernel', 'dtb', 'initrd'] as const).filter((r) => layout.images[r]?.ramAddress !== undefined && images[r]);
  requireBootable(planBoot({
    loader: 'u-boot', ram: layout.ram, kernel, kernelAddress: kernelAt,
    ...(loaded.includes('dtb') && images.dtb?.dtb ? { dtb: { address: layout.images.dtb!.ramAddress!, image: images.dtb.dtb } } : {}),
    ...(loaded.includes('initrd') ? { initrd: { address: layout.images.initrd!.ramAddress!, size: images.initrd!.size } } : {}),
  }), 'U-Boot');

  const { flash } = layout;
  const vars: [string, string][] = [];
  const reads: string[] = [];
  if (flash.kind === 'spi' || flash.kind === 'qspi') reads.push(`sf probe ${flash.device ?? 0}`);
  if (isBlockDevice(flash.kind)) reads.push(`mmc dev ${flash.device ?? 0}`);
  for (const role of loaded) {
    const variable = ADDRESS_VARIABLE[role]!;
    vars.push([variable, hex(layout.images[role]!.ramAddress!)]);
    const offset = partitionByName(layout, layout.images[role]!.partition)!.offset;
    const length = alignUp(images[role]!.size, flash.pageSize);
    const to = `\${${variable}}`;
    switch (flash.kind) {
      case 'nand': reads.push(`nand read ${to} ${hex(offset)} ${hex(length)}`); break;
      case 'spi': case 'qspi': reads.push(`sf read ${to} ${hex(offset)} ${hex(length)}`); break;
      case 'sd': case 'mmc': reads.push(`mmc read ${to} ${hex(offset / flash.pageSize)} ${hex(length / flash.pageSize)}`); break;
      case 'nor':
        if (flash.mapBase === undefined) throw new UimgError('BAD_LAYOUT', `${layout.file}: NOR reads need flash.mapBase (the flash's CPU address)`, { field: 'flash.mapBase' });
        reads.push(`cp.b ${hex(flash.mapBase + offset)} ${to} ${hex(length)}`);
        break;
    }
  }
  const initrd = loaded.includes('initrd') ? `\${ramdisk_addr_r}:${hex(images.initrd!.size)}` : '-';
  const fdt = loaded.includes('dtb') ? ' ${fdt_addr_r}' : '';
  const boot = `${command} \${kernel_addr_r}${fdt || initrd !== '-' ? ` ${initrd}` : ''}${fdt}`;
  const mtd = flash.mtdId && !isBlockDevice(flash.kind) ? mtdparts(layout) : undefined;
  const cmdline = layout.cmdline ?? '';
  const bootargs = mtd && !/\bmtdparts=/.test(cmdline) ? `${cmdline}${cmdline ? ' ' : ''}mtdparts=${mtd}` : cmdline;
  const lines = [
    `# U-Boot environment for ${layout.board ?? layout.file}, made by uimg from the layout and the image headers`,
    `bootargs=${bootargs}`,
    `bootcmd=${[...reads, boot].join('; ')}`,
    ...vars.map(([name, value]) => `${name}=${value}`),
  ];
  if (mtd) lines.push(`mtdids=${flash.kind === 'nand' ? 'nand' : 'nor'}${flash.device ?? 0}=${flash.mtdId}`, `mtdparts=mtdparts=${mtd}`);
  return lines.join('\n') + '\n';
}
