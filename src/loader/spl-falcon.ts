/**
 * U-Boot SPL falcon mode for a layout: SPL loads the kernel uImage itself (its data straight to ih_load) and copies
 * the prepared "args" (a DTB fixed up once by `spl export fdt`) from flash to CONFIG_SPL_PAYLOAD_ARGS_ADDR, skipping
 * U-Boot proper (doc/develop/falcon.rst). The kernel partition gives the kernel offset, the dtb partition the args
 * offset, the dtb's ramAddress the args address; the args size is the DTB plus room for the fixups, in whole pages.
 * Names are U-Boot 2023.04's and later (CONFIG_SYS_SPL_ARGS_ADDR before); SPI offsets are board-header #defines.
 */
import { UimgError } from '../errors.js';
import { nameOf } from '../formats/uimage/header.js';
import { FDT_FIXUP_ROOM, loaderProblem, planBoot, requireBootable, type BootPlan } from '../layout/boot.js';
import type { LayoutImages } from '../layout/images.js';
import { type BoardLayout, partitionByName } from '../layout/model.js';
import { alignUp } from '../bytes/align.js';
import { hex } from '../numbers.js';
import { comment, kconfigLine } from './kconfig.js';

export function splFalconConfig(layout: BoardLayout, images: LayoutImages): { text: string; plan: BootPlan } {
  const kernel = images.kernel?.kernel;
  const dtb = images.dtb?.dtb;
  const args = layout.images.dtb;
  if (!kernel || !layout.images.kernel) throw new UimgError('BAD_LAYOUT', `${layout.file}: falcon mode needs images.kernel with a file`, { field: 'images.kernel' });
  if (!dtb || !args || args.ramAddress === undefined) {
    throw new UimgError('BAD_LAYOUT', `${layout.file}: falcon mode needs images.dtb with a file and a ramAddress (the args SPL passes to the kernel)`, { field: 'images.dtb' });
  }
  const problem = loaderProblem('spl-falcon', kernel);
  if (problem) throw new UimgError('UNBOOTABLE', problem, { field: 'images.kernel' }, 'wrap the kernel in a legacy uImage (uimg create ... -C none)');
  const plan = requireBootable(planBoot({ loader: 'spl-falcon', ram: layout.ram, kernel, dtb: { address: args.ramAddress, image: dtb } }), 'SPL falcon mode');

  const { flash } = layout;
  const kernelOffset = partitionByName(layout, layout.images.kernel.partition)!.offset;
  const argsPartition = partitionByName(layout, args.partition)!;
  const argsSize = Math.min(argsPartition.size, alignUp((dtb.totalSize ?? dtb.fileSize) + FDT_FIXUP_ROOM, flash.pageSize));
  const h = kernel.uimage!;
  const lines = [
    ...comment([
      `U-Boot SPL falcon mode for ${layout.board ?? layout.file} (made by uimg from the layout and the image headers).`,
      `SPL loads the uImage "${nameOf(h)}" from ${flash.kind} offset ${hex(kernelOffset)} (its ${h.dataSize} data bytes to ${hex(h.load)},`,
      `entry ${hex(h.entry)}) and ${argsSize} bytes of args from offset ${hex(argsPartition.offset)} to ${hex(args.ramAddress)}.`,
      'U-Boot before 2023.04 calls CONFIG_SPL_PAYLOAD_ARGS_ADDR CONFIG_SYS_SPL_ARGS_ADDR.',
      'The board must also implement spl_start_uboot() (0: boot the kernel).',
    ].join('\n')),
    '',
    kconfigLine('SPL_OS_BOOT', true),
    kconfigLine('CMD_SPL', true),
    kconfigLine('SPL_PAYLOAD_ARGS_ADDR', { hex: args.ramAddress }),
  ];
  const prepare: string[] = [];
  const dtbLoad = `\${fdt_addr_r}`;
  switch (flash.kind) {
    case 'nand':
      lines.push(kconfigLine('SYS_NAND_SPL_KERNEL_OFFS', { hex: kernelOffset }), kconfigLine('CMD_SPL_NAND_OFS', { hex: argsPartition.offset }),
        kconfigLine('CMD_SPL_WRITE_SIZE', { hex: argsSize }));
      prepare.push(`nand read \${kernel_addr_r} ${hex(kernelOffset)} ${hex(alignUp(images.kernel!.size, flash.pageSize))}`,
        `nand read ${dtbLoad} ${hex(argsPartition.offset)} ${hex(alignUp(images.dtb!.size, flash.pageSize))}`,
        `spl export fdt \${kernel_addr_r} - ${dtbLoad}`,
        `nand erase ${hex(argsPartition.offset)} ${hex(argsPartition.size)}`,
        `nand write \${fdtargsaddr} ${hex(argsPartition.offset)} ${hex(argsSize)}`);
      break;
    case 'nor':
      if (flash.mapBase === undefined) throw new UimgError('BAD_LAYOUT', `${layout.file}: NOR falcon mode needs flash.mapBase (the flash's CPU address)`, { field: 'flash.mapBase' });
      lines.push(kconfigLine('SYS_OS_BASE', { hex: flash.mapBase + kernelOffset }), kconfigLine('CMD_SPL_NOR_OFS', { hex: flash.mapBase + argsPartition.offset }),
        kconfigLine('CMD_SPL_WRITE_SIZE', { hex: argsSize }));
      prepare.push(`spl export fdt ${hex(flash.mapBase + kernelOffset)} - ${dtbLoad}`,
        `erase ${hex(flash.mapBase + argsPartition.offset)} +${hex(argsPartition.size)}`,
        `cp.b \${fdtargsaddr} ${hex(flash.mapBase + argsPartition.offset)} ${hex(argsSize)}`);
      break;
    case 'spi': case 'qspi':
      lines.push('', '/* board header (include/configs/<board>.h) */',
        `#define CFG_SYS_SPI_KERNEL_OFFS ${hex(kernelOffset)}`, `#define CFG_SYS_SPI_ARGS_OFFS ${hex(argsPartition.offset)}`,
        `#define CFG_SYS_SPI_ARGS_SIZE ${hex(argsSize)}`);
      prepare.push(`sf probe ${flash.device ?? 0}`, `sf read \${kernel_addr_r} ${hex(kernelOffset)} ${hex(images.kernel!.size)}`,
        `sf read ${dtbLoad} ${hex(argsPartition.offset)} ${hex(images.dtb!.size)}`, `spl export fdt \${kernel_addr_r} - ${dtbLoad}`,
        `sf update \${fdtargsaddr} ${hex(argsPartition.offset)} ${hex(argsSize)}`);
      break;
    default: {
      const sector = (n: number) => hex(n / flash.pageSize);
      lines.push(kconfigLine('SPL_FALCON_BOOT_MMCSD', true), kconfigLine('SYS_MMCSD_RAW_MODE_KERNEL_SECTOR', { hex: kernelOffset / flash.pageSize }),
        kconfigLine('SYS_MMCSD_RAW_MODE_ARGS_SECTOR', { hex: argsPartition.offset / flash.pageSize }),
        kconfigLine('SYS_MMCSD_RAW_MODE_ARGS_SECTORS', { hex: argsSize / flash.pageSize }));
      prepare.push(`mmc dev ${flash.device ?? 0}`, `mmc read \${kernel_addr_r} ${sector(kernelOffset)} ${sector(alignUp(images.kernel!.size, flash.pageSize))}`,
        `mmc read ${dtbLoad} ${sector(argsPartition.offset)} ${sector(alignUp(images.dtb!.size, flash.pageSize))}`,
        `spl export fdt \${kernel_addr_r} - ${dtbLoad}`, `mmc write \${fdtargsaddr} ${sector(argsPartition.offset)} ${sector(argsSize)}`);
    }
  }
  lines.push('', ...comment(['Once, in U-Boot, with kernel_addr_r and fdt_addr_r set: prepare and store the args', ...prepare.map((c) => `  ${c}`)].join('\n')));
  return { text: lines.join('\n') + '\n', plan };
}
