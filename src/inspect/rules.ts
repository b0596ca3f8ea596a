/**
 * Rules that compare layers of an inspected file: a uImage header against the kernel it wraps (compression label,
 * architecture, mkimage's defaults, U-Boot's BOOTM_LEN), and an ARM zImage's load address against where its
 * decompressor writes. Each adds findings to the node it is about.
 */
import { hex32 } from '../errors.js';
import { finding } from '../findings.js';
import { COMPRESSION_FORMATS, type CompressedStream } from '../formats/compressed/stream.js';
import { compLabelMismatch, type UImageInfo } from '../formats/uimage/format.js';
import { IH_ARCH, IH_COMP, IH_TYPE } from '../formats/uimage/tables.js';
import { armDecompression, type AddressRange } from '../formats/zimage-arm/decompressor.js';
import type { ZImageArm } from '../formats/zimage-arm/zimage-arm.js';
import type { InspectNode, InspectOptions } from './inspect.js';

/** U-Boot's CONFIG_SYS_BOOTM_LEN default: the most bootm decompresses. */
export const DEFAULT_BOOTM_LEN = 8 << 20;

/** Header architectures that boot a kernel built for the key (a 64-bit bzImage keeps a 32-bit entry). */
const ARCH_ACCEPTS: Readonly<Record<string, readonly string[]>> = { x86_64: ['x86', 'x86_64'] };

export function crossLayerFindings(root: InspectNode, opts: InspectOptions): void {
  walk(root, (node, parent) => {
    if (node.format === 'uimage') uimageRules(node, opts);
    if (node.format === 'zimage-arm') zimageLayoutRules(node, parent, opts);
  });
  if (isStream(root)) bootiRules(root, opts);
}

function bootmLenFinding(node: InspectNode, size: { size: number; measured: boolean }, bootmLen: number, command: string) {
  node.findings.push(finding('bootm-len',
    `the kernel decompresses to ${size.size} bytes (${size.measured ? 'measured' : `from the ${(node.value as CompressedStream).sizeSource}`}), more than BOOTM_LEN ${bootmLen} (${hex32(bootmLen)}) that ${command} decompresses into`,
    'U-Boot stops with "Image too large: increase CONFIG_SYS_BOOTM_LEN": raise it in U-Boot (--bootm-len tells uimg), or ship the kernel uncompressed'));
}

/** A compressed arm64/RISC-V Image for booti: U-Boot decompresses it within BOOTM_LEN too. */
function bootiRules(node: InspectNode, opts: InspectOptions): void {
  const kernel = kernelOf(node);
  const size = streamSize(node);
  const bootmLen = opts.bootmLen ?? DEFAULT_BOOTM_LEN;
  if ((kernel?.format === 'image-arm64' || kernel?.format === 'image-riscv') && size && size.size > bootmLen) {
    bootmLenFinding(node, size, bootmLen, 'booti');
  }
}

function walk(node: InspectNode, visit: (n: InspectNode, parent?: InspectNode) => void, parent?: InspectNode): void {
  visit(node, parent);
  for (const c of node.children) walk(c, visit, node);
}

export const isStream = (n: InspectNode) => COMPRESSION_FORMATS.has(n.format);

/** Does a header labelled `headerArch` fit a kernel for `kernelArch`? */
export function archAccepts(headerArch: string | null, kernelArch: string): boolean {
  return headerArch === kernelArch || (ARCH_ACCEPTS[kernelArch] ?? []).includes(headerArch ?? '');
}

/** What a uImage's payload really is: its compression (undefined: none) and the kernel inside, when known. */
export function uimagePayload(node: InspectNode): { payload?: InspectNode; detected?: string; kernel?: InspectNode } {
  const payload = node.children[0];
  if (!payload) return {};
  return { payload, detected: isStream(payload) ? payload.format : undefined, kernel: kernelOf(payload) };
}

/** The kernel a node holds: itself, or (through a decompressed stream) what came out. */
export function kernelOf(node: InspectNode | undefined): InspectNode | undefined {
  if (!node) return undefined;
  if (node.arch) return node;
  if (isStream(node)) return kernelOf(node.children.find((c) => c.name === 'decompressed'));
  return undefined;
}

/** The decompressed size a stream node knows: measured (--deep) or recorded. */
export function streamSize(node: InspectNode): { size: number; measured: boolean } | undefined {
  const v = node.value as CompressedStream;
  if (v.decompressedSize !== undefined) return { size: v.decompressedSize, measured: true };
  if (v.uncompressedSize !== undefined) return { size: v.uncompressedSize, measured: false };
  return undefined;
}

function uimageRules(node: InspectNode, opts: InspectOptions): void {
  const info = node.value as UImageInfo;
  const h = info.header;
  if (!info.headerCrcOk || h.type.id === IH_TYPE.SCRIPT) return;
  // The kernel of a multi-file image is its first part.
  const { payload, detected, kernel } = uimagePayload(node);
  if (!payload) return;
  const kernelType = [IH_TYPE.KERNEL, IH_TYPE.KERNEL_NOLOAD, IH_TYPE.MULTI].includes(h.type.id as 2);
  const label = h.compression.name ?? `compression ${h.compression.id}`;
  const what = detected ?? (kernel ? kernel.summary : payload.format === 'data' ? 'not a compressed stream' : payload.summary);

  const defaults = h.arch.id === IH_ARCH.PPC && h.compression.id === IH_COMP.GZIP && detected !== 'gzip'
    && kernel?.arch !== undefined && kernel.arch !== 'powerpc';
  if (defaults) {
    node.findings.push(finding('mkimage-defaults',
      `the header says PowerPC and gzip, mkimage's defaults, around ${what}`,
      `make the image with the right -A and -C, e.g. mkimage -A ${kernel!.arch} -C ${detected ?? 'none'}`, 0x1d));
    return;
  }
  if (compLabelMismatch(h.compression.id, detected)) {
    node.findings.push(finding('comp-mismatch', `the header says ${label}, but the data is ${detected ? `${detected} compressed` : what}`,
      detected ? `use -C ${detected}` : 'use -C none (an ARM zImage or a bzImage decompresses itself)', 0x1f));
  }
  if (kernelType && kernel?.arch && !archAccepts(h.arch.name, kernel.arch)) {
    node.findings.push(finding('arch-mismatch', `the header says ${h.arch.longName} (${h.arch.name ?? h.arch.id}), the data is ${kernel.summary}`,
      `use -A ${kernel.arch}; U-Boot does not check it against the kernel: it boots the image the wrong way (an arm64 Image under -A arm is started in AArch32 and stays silent)`, 0x1d));
  }
  const size = isStream(payload) ? streamSize(payload) : undefined;
  const bootmLen = opts.bootmLen ?? DEFAULT_BOOTM_LEN;
  if (kernelType && h.compression.id !== IH_COMP.NONE && size && size.size > bootmLen) bootmLenFinding(payload, size, bootmLen, 'bootm');
}

function zimageLayoutRules(node: InspectNode, parent: InspectNode | undefined, opts: InspectOptions): void {
  const z = node.value as ZImageArm;
  let load = opts.loadAddress;
  if (parent?.format === 'uimage') {
    const h = (parent.value as UImageInfo).header;
    if (h.type.id !== IH_TYPE.KERNEL || h.compression.id !== IH_COMP.NONE) return;
    load = h.load;
  }
  if (load === undefined) return;
  const d = armDecompression(z, load);
  if (!d) return;
  const range = (r: AddressRange) => `[${hex32(r.start)}, ${hex32(r.end)})`;
  if (d.moved) {
    node.findings.push(finding('zimage-overlap',
      `loaded at ${hex32(load)}, the zImage ${range(d.image)} overlaps where its kernel decompresses ${range({ start: d.pageTables.start, end: d.kernel.end })}; it first moves itself to ${range(d.moved)}`,
      `load it above ${hex32(d.kernel.end)} (booting.rst: above 32 MiB into RAM), so nothing placed after it is overwritten and no copy is needed`));
  }
  const fdt = opts.fdtAddress;
  const hit = fdt === undefined ? undefined : d.writes.find((w) => fdt >= w.start && fdt < w.end);
  if (hit) {
    node.findings.push(finding('fdt-overlap',
      `the DTB at ${hex32(fdt!)} lies in the ${hit.what} ${range(hit)}, which the ARM decompressor writes`,
      `put the DTB above ${hex32(Math.max(...d.writes.map((w) => w.end)))} (booting.rst suggests above 128 MiB into RAM)`));
  }
}
