/**
 * Where things land in RAM when a loader boots a kernel: the copy read from flash (the staging address), where a
 * uImage's data is moved to, where an ARM zImage decompresses its kernel, the DTB and the initrd. The ranges come
 * from the images' headers; the findings say what overlaps, what runs past RAM, and what the loader cannot boot.
 * The layout checker and the loader emitters share this, so a config is never emitted for a plan the check rejects.
 */
import { alignUp } from '../bytes/align.js';
import { UimgError } from '../errors.js';
import { finding, type Finding, type RuleId } from '../findings.js';
import { armDecompression } from '../formats/zimage-arm/decompressor.js';
import { arm64Placement } from '../formats/image-arm64/image-arm64.js';
import { HEADER_SIZE } from '../formats/uimage/header.js';
import { KEXEC_UIMAGE_COMPRESSIONS } from '../kexec/uimage.js';
import { kernelLabel, kernelMislabel, kernelReadLength, type DtbImage, type KernelImage, type KernelKind } from './kernel.js';
import type { LoaderKind, RamSpec } from './model.js';
import { hex } from '../numbers.js';

/**
 * How a loader moves an uncompressed uImage's data from where it read the file to ih_load:
 * - 'memmove': overlap-safe in both directions (U-Boot bootm: memmove_wd; boot-in-qemu.md saw a uImage read to its
 *   own ih_load boot normally);
 * - 'forward': a byte-by-byte forward copy (AT91Bootstrap's memcpy), safe only when the data moves down (ih_load at
 *   or below the data's address), since then no byte is overwritten before it is read;
 * - 'none': the loader reads the data straight to ih_load, or nothing is known of its copy (a custom loader's
 *   memcpy): the ranges must be disjoint.
 * Decompressing into the range is never overlap-safe: the output overtakes the input.
 */
export type UImageCopy = 'memmove' | 'forward' | 'none';

/** What each loader boots, as data (facts: AT91Bootstrap load_kernel.c, U-Boot bootm/bootz/booti, kexec-tools 2.0.25). */
export const LOADER_KERNELS: Record<LoaderKind, { kinds: readonly KernelKind[]; uimageCompressions?: readonly string[]; copy: UImageCopy; why: string }> = {
  at91bootstrap: {
    kinds: ['uimage', 'zimage-arm'], uimageCompressions: ['none'], copy: 'forward',
    why: 'AT91Bootstrap copies an uncompressed uImage\'s data to its load address, or runs an ARM zImage where it was read; it does not decompress',
  },
  'u-boot': { kinds: ['uimage', 'zimage-arm', 'image-arm64'], copy: 'memmove', why: 'U-Boot boots a uImage (bootm), an ARM zImage (bootz) or an arm64 Image (booti)' },
  'spl-falcon': {
    kinds: ['uimage'], uimageCompressions: ['none', 'lzma'], copy: 'none',
    why: 'SPL falcon mode boots a legacy uImage, uncompressed or lzma (with CONFIG_SPL_LZMA)',
  },
  kexec: {
    kinds: ['uimage', 'zimage-arm', 'image-arm64', 'bzimage'], uimageCompressions: KEXEC_UIMAGE_COMPRESSIONS, copy: 'none',
    why: 'kexec-tools takes a zImage, an arm64 Image, a bzImage, or a uImage compressed with none or gzip',
  },
};

const ARM64_BASE_ALIGN = 2 << 20;
/** Room a loader's DTB fixups (/chosen bootargs, /memory) need after the blob: U-Boot's CONFIG_SYS_FDT_PAD. */
export const FDT_FIXUP_ROOM = 0x3000;
/** The kernel requires the DTB 64-bit aligned (Documentation/arm/booting.rst, arm64/booting.rst). */
export const DTB_ALIGN = 8;

export type RegionRole = 'staging' | 'kernel' | 'decompressed' | 'dtb' | 'initrd';

export interface RamRegion {
  role: RegionRole;
  /** For people: 'uImage as read from flash'. */
  name: string;
  start: number;
  size: number;
  /** The size is a lower bound: the headers do not say how large the kernel grows. */
  sizeUnknown?: boolean;
  /** Roles this region may overlap by design (a zImage moves itself out of its kernel's way). */
  mayOverlap?: readonly RegionRole[];
}

export interface BootInputs {
  /** Checked against LOADER_KERNELS when given. */
  loader?: LoaderKind;
  /** Without it, ranges are not checked against RAM (and an arm64 Image's placement base is unknown). */
  ram?: RamSpec;
  kernel: KernelImage;
  /**
   * Where the loader reads the kernel file to: AT91Bootstrap JUMP_ADDR, U-Boot ${loadaddr}. Absent: a uImage's data
   * is read straight to its load address (a minimal first-stage loader); other kernels run at this address, so it is
   * then required.
   */
  kernelAddress?: number;
  dtb?: { address: number; image: DtbImage };
  initrd?: { address: number; size: number };
}

/** A finding about one input, so a layout can point at the field it came from. */
export interface BootFinding extends Finding {
  subject: 'kernel' | 'dtb' | 'initrd' | 'loader';
}

export interface BootPlan {
  regions: RamRegion[];
  /** Where the loader jumps. */
  entry: number;
  findings: BootFinding[];
}

const about = (subject: BootFinding['subject'], rule: RuleId, message: string, hint?: string): BootFinding =>
  ({ ...finding(rule, message, hint), subject });

const end = (r: { start: number; size: number }) => r.start + r.size;
const span = (r: { start: number; size: number }) => `[${hex(r.start)}, ${hex(end(r))})`;

/** Can this loader boot this kernel at all? */
export function loaderProblem(loader: LoaderKind, k: KernelImage): string | undefined {
  const rule = LOADER_KERNELS[loader];
  if (!rule.kinds.includes(k.kind)) return `${loader} cannot boot an ${kernelLabel(k)}: ${rule.why}`;
  // Every loader acts on the label: a wrong one makes it jump into compressed bytes, or decompress what is not.
  const mislabel = kernelMislabel(k);
  if (mislabel) return `${loader} cannot boot this uImage: ${mislabel}`;
  if (k.kind === 'uimage' && rule.uimageCompressions && !rule.uimageCompressions.includes(k.compression!)) {
    return `${loader} cannot boot a uImage compressed with ${k.compression}: ${rule.why}`;
  }
  return undefined;
}

/** Can the copy from the staging address to ih_load run without overwriting data not yet copied? */
function copySurvivesOverlap(copy: UImageCopy, from: number, to: number): boolean {
  return copy === 'memmove' || (copy === 'forward' && to <= from);
}

/**
 * What an ARM zImage running at `runAt` writes (the zImage module's model): its page tables, kernel and BSS, and a
 * moved copy of itself, as one region; and its stack and malloc area past the zImage when it runs in place.
 */
function zImageRegions(runAt: number, k: KernelImage, findings: BootFinding[]): RamRegion[] {
  const d = k.zimage && armDecompression(k.zimage, runAt);
  if (!d) {
    findings.push(about('kernel', 'ram-size-unknown', 'the zImage has no kernel size tag: how far its kernel decompresses is unknown',
      'kernels before 4.x lack the tag; leave generous room above the zImage'));
    return [];
  }
  const top = Math.max(d.kernel.end, d.moved?.end ?? 0);
  const regions: RamRegion[] = [{
    role: 'decompressed', name: `decompressed kernel + page tables${d.moved ? ' + moved zImage' : ''}`,
    start: d.pageTables.start, size: top - d.pageTables.start, mayOverlap: ['staging', 'kernel'],
  }];
  const ws = d.inPlaceWorkspace;
  if (ws) regions.push({ role: 'decompressed', name: 'zImage stack + malloc area', start: ws.start, size: ws.end - ws.start, mayOverlap: ['staging', 'decompressed'] });
  return regions;
}

function kernelRegions(inp: BootInputs, findings: BootFinding[]): { regions: RamRegion[]; entry: number } {
  const k = inp.kernel;
  const staged = inp.kernelAddress;
  const at = staged ?? (k.uimage ? k.uimage.load - HEADER_SIZE : 0);
  const read = { role: 'staging' as const, start: at, size: kernelReadLength(k) };
  if (k.uimage) {
    const h = k.uimage;
    const inPlace = h.comp === 0 && h.load === at + HEADER_SIZE;
    const regions: RamRegion[] = staged === undefined ? []
      : [{ ...read, name: inPlace ? 'uImage (data in place)' : 'uImage (staging copy)' }];
    let size = h.dataSize;
    let sizeUnknown = false;
    if (k.inner === 'image-arm64' && k.arm64) size = Math.max(size, k.arm64.imageSize);
    if (h.comp !== 0) {
      sizeUnknown = true;
      findings.push(about('kernel', 'ram-size-unknown',
        `the uImage is ${k.compression}-compressed: the kernel takes more than its ${h.dataSize} bytes at ${hex(h.load)} once decompressed`,
        'leave room above the load address (U-Boot limits it to CONFIG_SYS_BOOTM_LEN)'));
    }
    const copy = inp.loader ? LOADER_KERNELS[inp.loader].copy : 'none';
    const movable = staged !== undefined && h.comp === 0 && copySurvivesOverlap(copy, staged + HEADER_SIZE, h.load);
    if (!inPlace || staged === undefined) {
      regions.push({ role: 'kernel', name: 'kernel (ih_load)', start: h.load, size, ...(sizeUnknown ? { sizeUnknown } : {}), ...(movable ? { mayOverlap: ['staging'] } : {}) });
    }
    if (k.inner === 'zimage-arm') regions.push(...zImageRegions(h.load, k, findings));
    return { regions, entry: h.entry };
  }
  if (k.kind === 'zimage-arm') {
    return { regions: [{ ...read, name: 'zImage (runs here)' }, ...zImageRegions(at, k, findings)], entry: at + (k.zimage?.start ?? 0) };
  }
  if (k.kind === 'image-arm64' && k.arm64) {
    const { textOffset, imageSize: size } = arm64Placement(k.arm64);
    // booti moves the Image to a 2 MiB-aligned base + text_offset: near the load address, or at the start of RAM.
    const base = k.arm64.flagBits.anywhereInRam ? at - textOffset : inp.ram?.base ?? at - textOffset;
    const dest = alignUp(base, ARM64_BASE_ALIGN) + textOffset;
    if (dest === at) return { regions: [{ ...read, role: 'kernel', name: 'Image (in place)', size: Math.max(size, read.size) }], entry: at };
    return {
      regions: [{ ...read, name: 'Image (staging copy)' }, { role: 'kernel', name: 'Image (moved by booti)', start: dest, size, mayOverlap: ['staging'] }],
      entry: dest,
    };
  }
  return { regions: [{ ...read, name: `${kernelLabel(k)} (staging copy)` }], entry: at };
}

/** The RAM plan for a boot, and every problem with it as findings. */
export function planBoot(inp: BootInputs): BootPlan {
  const findings: BootFinding[] = [];
  if (inp.kernelAddress === undefined && !inp.kernel.uimage) {
    throw new UimgError('USAGE', `an ${kernelLabel(inp.kernel)} runs where it is loaded: its RAM address is needed`, { field: 'kernelAddress' });
  }
  const problem = inp.loader && loaderProblem(inp.loader, inp.kernel);
  if (problem) findings.push(about('loader', 'loader-cannot-boot', problem, 'use a kernel file the loader takes, or another loader'));
  const { regions, entry } = kernelRegions(inp, findings);
  if (inp.dtb) {
    const size = (inp.dtb.image.totalSize ?? inp.dtb.image.fileSize) + FDT_FIXUP_ROOM;
    regions.push({ role: 'dtb', name: 'DTB + fixup room', start: inp.dtb.address, size });
    if (inp.dtb.address % DTB_ALIGN !== 0) {
      findings.push(about('dtb', 'dtb-misaligned', `the DTB address ${hex(inp.dtb.address)} is not ${DTB_ALIGN}-byte aligned`,
        'the kernel requires a 64-bit aligned DTB'));
    }
    if (inp.dtb.image.totalSize === undefined) {
      findings.push(about('dtb', 'dtb-not-fdt', 'the DTB file does not start with the FDT magic d00dfeed', 'give the compiled .dtb, not the .dts'));
    }
  }
  if (inp.initrd) regions.push({ role: 'initrd', name: 'initrd', start: inp.initrd.address, size: inp.initrd.size });
  if (inp.ram) {
    const ram = { start: inp.ram.base, size: inp.ram.size };
    for (const r of regions) {
      if (r.start < ram.start || end(r) > end(ram)) {
        findings.push(about(subjectOf(r.role), 'ram-outside', `${r.name} ${span(r)} runs outside RAM ${span(ram)}`,
          r.role === 'decompressed' ? 'an ARM zImage decompresses to its 128 MiB-aligned region + TEXT_OFFSET: load it in the first 128 MiB of RAM'
            : 'move it inside RAM'));
      }
    }
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i]!, b = regions[j]!;
      if (a.start >= end(b) || b.start >= end(a)) continue;
      if (a.mayOverlap?.includes(b.role) || b.mayOverlap?.includes(a.role)) continue;
      findings.push(about(subjectOf(b.role === 'staging' || b.role === 'kernel' ? a.role : b.role), 'ram-overlap',
        `${a.name} ${span(a)} overlaps ${b.name} ${span(b)}${a.sizeUnknown || b.sizeUnknown ? ' (at least)' : ''}`,
        overlapHint(a, b, inp.loader)));
    }
  }
  return { regions, entry, findings };
}

function subjectOf(role: RegionRole): BootFinding['subject'] {
  return role === 'dtb' ? 'dtb' : role === 'initrd' ? 'initrd' : 'kernel';
}

function overlapHint(a: RamRegion, b: RamRegion, loader: LoaderKind | undefined): string {
  const roles = [a.role, b.role];
  if (roles.includes('staging') && roles.includes('kernel')) {
    const copy = loader ? LOADER_KERNELS[loader].copy : 'none';
    return `read the image somewhere else: the copy to the load address would overwrite the data being copied${
      copy === 'forward' ? ` (${loader} copies forward, so reading it at or above ih_load - 64 also works)` : ''}`;
  }
  return `move one of them (e.g. above ${hex(Math.max(end(a), end(b)))})`;
}

/** For emitters: refuse a plan with any error-severity finding, as one clear error. */
export function requireBootable(plan: BootPlan, what: string): BootPlan {
  const bad = plan.findings.find((f) => f.severity === 'error');
  if (bad) {
    throw new UimgError('UNBOOTABLE', `${what}: ${bad.message}`, { field: bad.subject, rule: bad.rule }, bad.hint);
  }
  return plan;
}
