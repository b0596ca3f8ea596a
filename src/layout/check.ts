/**
 * `uimg layout check`: is a board layout sound? Partitions inside the flash, aligned to its erase blocks (and NAND
 * pages), not overlapping; every image fits its partition; the boot's RAM ranges (staging copy, kernel, decompressed
 * kernel, DTB, initrd) inside RAM and apart; the kernel of a kind the loader boots. Findings are data, each pointing
 * at the layout field it is about.
 */
import { alignDown, alignUp } from '../bytes/align.js';
import { finding, type Finding, type RuleId } from '../findings.js';
import { planBoot, type BootFinding, type BootPlan } from './boot.js';
import type { LayoutImages } from './images.js';
import { isBlockDevice, locate, partitionByName, placedImages, type BoardLayout } from './model.js';
import { hex, humanSize } from '../numbers.js';

export interface LayoutFinding extends Finding {
  /** The layout field it is about (`partitions[1].offset`). */
  path: string;
  /** `file:line:col` of that field. */
  location: string;
}

export interface LayoutReport {
  findings: LayoutFinding[];
  /** The boot's RAM plan, when the kernel's file and RAM address are known. */
  plan?: BootPlan;
  /** No error-severity finding. */
  sound: boolean;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function checkLayout(layout: BoardLayout, images: LayoutImages): LayoutReport {
  const findings: LayoutFinding[] = [];
  const add = (path: string, rule: RuleId, message: string, hint?: string) =>
    findings.push({ ...finding(rule, message, hint), path, location: locate(layout, path) });

  checkPartitions(layout, add);
  checkImages(layout, images, add);
  const plan = checkRam(layout, images, add);
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return { findings, ...(plan ? { plan } : {}), sound: !findings.some((f) => f.severity === 'error') };
}

type Add = (path: string, rule: RuleId, message: string, hint?: string) => void;

function checkPartitions(layout: BoardLayout, add: Add): void {
  const { flash } = layout;
  const unit = isBlockDevice(flash.kind) ? { size: flash.pageSize, name: `${flash.pageSize}-byte sector` }
    : { size: flash.eraseBlockSize, name: `${humanSize(flash.eraseBlockSize)} erase block` };
  layout.partitions.forEach((p, i) => {
    const at = `partitions[${i}]`;
    if (p.offset + p.size > flash.size) {
      add(`${at}.size`, 'flash-overflow', `partition ${p.name} [${hex(p.offset)}, ${hex(p.offset + p.size)}) runs past the end of the ${humanSize(flash.size)} flash`,
        `shrink it to ${hex(Math.max(0, flash.size - p.offset))} bytes or move it`);
    }
    for (const [field, value] of [['offset', p.offset], ['size', p.size]] as const) {
      if (value % unit.size === 0) continue;
      const page = flash.kind === 'nand' && value % flash.pageSize !== 0 ? ` (nor even to the ${flash.pageSize}-byte page)` : '';
      add(`${at}.${field}`, 'flash-misaligned', `partition ${p.name}: ${field} ${hex(value)} is not a multiple of the ${unit.name}${page}`,
        `use ${hex(alignDown(value, unit.size))} or ${hex(alignUp(value, unit.size))}: erasing a block would wipe the neighbouring partition`);
    }
  });
  const sorted = layout.partitions.map((p, i) => ({ p, i })).sort((a, b) => a.p.offset - b.p.offset);
  for (let j = 1; j < sorted.length; j++) {
    const prev = sorted[j - 1]!, cur = sorted[j]!;
    const prevEnd = prev.p.offset + prev.p.size;
    if (cur.p.offset < prevEnd) {
      add(`partitions[${cur.i}].offset`, 'flash-overlap',
        `partition ${cur.p.name} starts at ${hex(cur.p.offset)}, inside ${prev.p.name} [${hex(prev.p.offset)}, ${hex(prevEnd)})`,
        `start it at ${hex(prevEnd)} or later`);
    }
  }
}

function checkImages(layout: BoardLayout, images: LayoutImages, add: Add): void {
  const { flash } = layout;
  for (const placement of placedImages(layout)) {
    const at = `images.${placement.role}`;
    const part = partitionByName(layout, placement.partition)!;
    const image = images[placement.role];
    if (placement.file === undefined || !image) {
      add(at, 'image-unchecked', `the ${placement.role} has no file: its fit in partition ${part.name} is not checked`, 'name its file to check it');
      continue;
    }
    if (image.size > part.size) {
      add(`${at}.file`, 'image-oversize', `${placement.file} (${image.size} bytes, ${humanSize(image.size)}) does not fit partition ${part.name} (${part.size} bytes, ${humanSize(part.size)})`,
        `grow the partition to at least ${hex(alignUp(image.size, flash.eraseBlockSize))}, or shrink the image`);
      continue;
    }
    if (flash.kind === 'nand') {
      const blocks = Math.floor(part.size / flash.eraseBlockSize);
      const used = Math.ceil(image.size / flash.eraseBlockSize);
      if (used >= blocks) {
        add(`${at}.file`, 'nand-no-spare', `${placement.file} takes all ${blocks} erase blocks of partition ${part.name}: one bad block and it no longer fits`,
          'loaders skip bad blocks, so keep spare blocks in every NAND partition (a few percent, at least one)');
      }
    }
  }
}

const SUBJECT_PATH: Record<BootFinding['subject'], string> = {
  kernel: 'images.kernel.ramAddress', dtb: 'images.dtb.ramAddress', initrd: 'images.initrd.ramAddress', loader: 'loader',
};

function checkRam(layout: BoardLayout, images: LayoutImages, add: Add): BootPlan | undefined {
  const placement = layout.images.kernel;
  const kernel = images.kernel?.kernel;
  if (!placement || !kernel || placement.ramAddress === undefined) {
    if (placement) {
      add('images.kernel', 'ram-unchecked', `the kernel has no ${kernel ? 'ramAddress' : 'file'}: the boot's RAM ranges are not checked`,
        'give images.kernel a file and a ramAddress (where the loader reads it to)');
    }
    return undefined;
  }
  const ramInput = (role: 'dtb' | 'initrd') => {
    const p = layout.images[role];
    const im = images[role];
    return p?.ramAddress !== undefined && im ? { address: p.ramAddress, im } : undefined;
  };
  const dtb = ramInput('dtb'), initrd = ramInput('initrd');
  // kexec-tools places its segments itself; only whether it takes the kernel is the layout's business.
  const plan = planBoot({
    ...(layout.loader ? { loader: layout.loader } : {}), ram: layout.ram, kernel, kernelAddress: placement.ramAddress,
    ...(dtb?.im.dtb && layout.loader !== 'kexec' ? { dtb: { address: dtb.address, image: dtb.im.dtb } } : {}),
    ...(initrd && layout.loader !== 'kexec' ? { initrd: { address: initrd.address, size: initrd.im.size } } : {}),
  });
  const relevant = layout.loader === 'kexec' ? plan.findings.filter((f) => f.subject === 'loader') : plan.findings;
  for (const f of relevant) add(SUBJECT_PATH[f.subject], f.rule as RuleId, f.message, f.hint);
  return layout.loader === 'kexec' ? undefined : plan;
}
