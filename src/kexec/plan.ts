/**
 * What `kexec -l KERNEL --dtb DTB --initrd INITRD --append CMDLINE` hands to kexec_load: the segments and the entry,
 * placed as kexec-tools 2.0.25 places them (kexec-zImage-arm.c, kexec-image-arm64.c, kexec-arm64.c, kexec.c), on
 * a RAM range given by the caller instead of /proc/iomem, then checked as the kernel checks them.
 */
import { alignDown, alignUp } from '../bytes/align.js';
import { subSource, type ByteSource } from '../bytes/source.js';
import { UimgError } from '../errors.js';
import { finding, type Finding } from '../findings.js';
import { writeU32BE } from '../bytes/endian.js';
import { FdtEditor } from '../formats/fdt/editor.js';
import { isFdtError } from '../formats/fdt/error.js';
import { alignTag } from '../formats/fdt/header.js';
import { parseFdt } from '../formats/fdt/reader.js';
import { arm64Placement, decodeArm64Header, isArm64Image } from '../formats/image-arm64/image-arm64.js';
import { HEADER_SIZE, isUImageHeader, decodeHeader } from '../formats/uimage/header.js';
import { IH_ARCH, IH_COMP } from '../formats/uimage/tables.js';
import { ZIMAGE_DEFAULT_MALLOC_SIZE, ZIMAGE_STACK_SIZE, armDecompression } from '../formats/zimage-arm/decompressor.js';
import { readArmZImage, zImageEndianness, type ZImageArm } from '../formats/zimage-arm/zimage-arm.js';
import { checkSegments, hex, locateHole, type Ram, type Segment } from './segments.js';
import { kexecUImageRefusal } from './uimage.js';

/** kexec_load flags: the architecture in the top 16 bits (include/uapi/linux/kexec.h). */
export const KEXEC_ARCH_ARM = 40 << 16;
export const KEXEC_ARCH_AARCH64 = 183 << 16;

const MIB = 1 << 20;
/** kexec-tools' allowance for the zImage's stack and malloc area past its length: the defaults, whatever the tag says. */
const ZIMAGE_RUNTIME_EXTRA = ZIMAGE_STACK_SIZE + ZIMAGE_DEFAULT_MALLOC_SIZE;
/** Where kexec-tools puts the zImage above its hole: the traditional TEXT_OFFSET. */
const ZIMAGE_HOLE_OFFSET = 0x8000;

export interface PlanInput {
  kernel: ByteSource;
  dtb?: Uint8Array;
  initrd?: { size: number };
  cmdline?: string;
  ram: Ram;
  pageSize?: number;
  /** kexec-tools --mem-min: no segment below this. */
  memMin?: number;
  /** ARM --image-size: the room the decompressed kernel needs. */
  imageSize?: number;
  /** arm64: the purgatory segment's size, which depends on the kexec-tools build. */
  purgatorySize?: number;
}

export interface KexecPlan {
  arch: 'arm' | 'arm64';
  /** What was loaded: 'zImage', 'Image', or 'uImage' wrapping one. */
  kernelFormat: string;
  segments: Segment[];
  /** The entry point passed to kexec_load; on arm64 kexec-tools' purgatory, which then enters the kernel. */
  entry: number;
  /** false where the value depends on the kexec-tools build (arm64's purgatory_start). */
  entryExact: boolean;
  flags: number;
  /** ARM: registers the kernel sets before jumping (machine_kexec.c): r2 is the segment holding an FDT. */
  registers?: { r0: number; r2: number };
  findings: Finding[];
  /** Placement steps for people. */
  notes: string[];
}


export async function planKexec(input: PlanInput): Promise<KexecPlan> {
  const pageSize = input.pageSize ?? 4096;
  const head = await input.kernel.read(0, HEADER_SIZE);
  let offset = 0;
  let wrapped = '';
  if (isUImageHeader(head)) {
    const h = decodeHeader(head);
    const why = kexecUImageRefusal(h)
      ?? (h.comp !== IH_COMP.NONE ? `compression ${h.comp}: planned only for uncompressed uImages (decompress it first)`
        : h.arch !== IH_ARCH.ARM && h.arch !== IH_ARCH.ARM64 ? `architecture ${h.arch}: planned for arm and arm64` : undefined);
    if (why) throw new UimgError('UNSUPPORTED_TYPE', `uImage ${why}`, { field: 'uimage', actual: why });
    offset = HEADER_SIZE;
    wrapped = 'uImage wrapping ';
  }
  const inner = await input.kernel.read(offset, 0x40);
  const kernel = offset ? subSource(input.kernel, offset, input.kernel.size - offset) : input.kernel;
  if (zImageEndianness(inner)) return planZImage(input, kernel, offset, wrapped, pageSize);
  if (isArm64Image(inner)) return planArm64(input, kernel, offset, wrapped, pageSize);
  throw new UimgError('UNSUPPORTED_TYPE', 'not an ARM zImage or an arm64 Image (or a uImage wrapping one)',
    { field: 'kernel', expected: 'zImage magic at 0x24 or ARM\\x64 at 0x38' }, 'kexec plan covers ARM and arm64 kernels');
}

/** Placement state: segments in the order kexec-tools adds them, and what failed. */
class Placer {
  readonly segments: Segment[] = [];
  readonly findings: Finding[] = [];
  readonly notes: string[] = [];
  constructor(readonly ram: Ram, readonly pageSize: number, readonly memMin: number) {}

  hole(what: string, size: number, align: number, min: number): number | undefined {
    const at = locateHole(this.ram, this.segments, size, align, Math.max(min, this.memMin), this.pageSize);
    if (at === undefined) {
      this.findings.push(finding('kexec-no-room', `no free ${hex(size)}-byte area at or above ${hex(Math.max(min, this.memMin))} for the ${what}`,
        'kexec-tools stops with "Could not find a free area of memory"; more RAM or a smaller file'));
    }
    return at;
  }

  /** add_segment: memsz rounded up to a page, bufsz clamped to memsz. */
  add(s: Omit<Segment, 'memsz'> & { memsz: number }): void {
    const memsz = alignUp(s.memsz, this.pageSize);
    this.segments.push({ ...s, bufsz: Math.min(s.bufsz, memsz), memsz });
  }
}

async function planZImage(input: PlanInput, kernel: ByteSource, fileOffset: number, wrapped: string, pageSize: number): Promise<KexecPlan> {
  const { zimage: z } = await readArmZImage(kernel);
  const p = new Placer(input.ram, pageSize, input.memMin ?? 0);
  if (z.length > kernel.size) {
    throw new UimgError('TRUNCATED', `the zImage says ${z.length} bytes (end - start), the file has ${kernel.size}`,
      { field: 'end', expected: z.length, actual: kernel.size }, 'kexec-tools refuses a truncated zImage');
  }
  if (!input.dtb) {
    throw new UimgError('USAGE', 'an ARM plan needs --dtb', { field: 'dtb' },
      'kexec-tools would take /sys/firmware/fdt of the running system; give that file');
  }
  if (z.appendedDtb) {
    p.findings.push(finding('kexec-appended-dtb', `the zImage carries an appended DTB (${z.appendedDtb.totalSize} bytes): kexec-tools loads end - start bytes and drops it`,
      'the --dtb file is what the kernel gets'));
  }
  const len = z.length;
  const room = len + ZIMAGE_RUNTIME_EXTRA;
  let imageSize = input.imageSize ?? 0;
  const edata = z.kernelSize?.decompressedSize;
  if (z.kernelSize && edata !== undefined) {
    const needed = Math.max(edata + z.kernelSize.bssSize, edata + room);
    if (imageSize < needed) imageSize = needed;
    p.notes.push(`size tag: text+data ${hex(edata)}, bss ${hex(z.kernelSize.bssSize)}: image size ${hex(imageSize)}`);
  } else if (!imageSize) {
    imageSize = room * 5;
    p.notes.push(`no size tag: image size guessed as 5 x ${hex(room)} = ${hex(imageSize)}`);
  }
  const base = p.hole('zImage', room + ZIMAGE_HOLE_OFFSET, 0, 0);
  const kernelBase = (base ?? input.ram.base) + ZIMAGE_HOLE_OFFSET;
  const initrdMin = kernelBase + alignUp(imageSize, pageSize);
  let initrdBase = initrdMin;
  const initrdSize = input.initrd?.size ?? 0;
  if (input.initrd && base !== undefined) {
    const at = p.hole('initrd', initrdSize, pageSize, initrdMin);
    if (at !== undefined) {
      initrdBase = at;
      p.add({ name: 'initrd', source: { file: 'initrd', offset: 0 }, bufsz: initrdSize, mem: at, memsz: initrdSize });
    }
  }
  const dtbLength = armDtbLength(input.dtb, input.cmdline, input.initrd ? { start: initrdBase, end: initrdBase + initrdSize } : false);
  const dtbMin = alignDown(initrdBase + initrdSize + pageSize, pageSize);
  const dtbAt = base === undefined ? undefined : p.hole('DTB', dtbLength, pageSize, dtbMin);
  if (dtbAt !== undefined) p.add({ name: 'dtb', source: { file: 'dtb', offset: 0 }, bufsz: dtbLength, mem: dtbAt, memsz: dtbLength });
  if (base !== undefined) p.add({ name: 'kernel', source: { file: 'kernel', offset: fileOffset }, bufsz: len, mem: kernelBase, memsz: len + 4 });
  p.notes.push(`zImage at hole ${hex(kernelBase - ZIMAGE_HOLE_OFFSET)} + ${hex(ZIMAGE_HOLE_OFFSET)}; initrd at or above ${hex(initrdMin)}; DTB (${dtbLength} bytes with /chosen updated) after the initrd`);
  checkDecompression(p, z, kernelBase);
  const segments = [...p.segments].sort((a, b) => a.mem - b.mem);
  return {
    arch: 'arm', kernelFormat: `${wrapped}zImage`, segments, entry: kernelBase, entryExact: true, flags: KEXEC_ARCH_ARM,
    ...(dtbAt !== undefined ? { registers: { r0: 0, r2: dtbAt } } : {}),
    findings: [...p.findings, ...checkSegments(segments, input.ram, { pageSize, destinationLimit: 0xffffffff })],
    notes: p.notes,
  };
}

/**
 * kexec-tools reserves room for the decompressor from the zImage's address with a TEXT_OFFSET of 0x8000; a kernel
 * built with a larger one (the size tag records it since 6.1) decompresses further, and the zImage it moves past
 * that kernel may write over the initrd or DTB placed after the reserved room. kexec-tools loads end - start bytes,
 * so no appended DTB comes along.
 */
function checkDecompression(p: Placer, z: ZImageArm, kernelBase: number): void {
  const d = armDecompression({ ...z, appendedDtb: undefined }, kernelBase);
  if (!d) return;
  const end = Math.max(...d.writes.map((w) => w.end));
  for (const s of p.segments) {
    const hit = s.name === 'kernel' ? undefined : d.writes.find((w) => s.mem < w.end && w.start < s.mem + s.memsz);
    if (!hit) continue;
    p.findings.push(finding('kexec-decompress-overlap',
      `the decompressor writes the ${hit.what} at ${hex(hit.start)}..${hex(hit.end)} (the kernel starts at ${hex(d.kernelStart)}), over the ${s.name} at ${hex(s.mem)}`,
      `TEXT_OFFSET ${hex(d.textOffset)}: give kexec --image-size ${hex(end - kernelBase)} so the ${s.name} goes above`));
  }
}

/** fdt_node_len / fdt_prop_len of kexec-tools' libfdt.h: what it allows for a new node or property. */
const nodeLen = (name: string) => 4 + alignTag(name.length + 1) + 4;
const propLen = (name: string, len: number) => name.length + 1 + 12 + alignTag(len);
const cString = (s: string) => new TextEncoder().encode(`${s}\0`);

/** The DTB as kexec-tools checks it first (fdt_check_header; here the whole structure). */
function checkedDtb(dtb: Uint8Array): void {
  try {
    parseFdt(dtb);
  } catch (e) {
    if (!isFdtError(e)) throw e;
    throw new UimgError('MALFORMED', `the DTB does not parse: ${e.message}`, { field: 'dtb', offset: e.data.offset }, 'kexec-tools checks it with fdt_check_header');
  }
}

/** An edit kexec-tools would fail on ("FDT: Error setting chosen/bootargs property."), as a typed error. */
function dtbEdit<T>(what: string, edit: () => T): T {
  try {
    return edit();
  } catch (e) {
    if (!isFdtError(e)) throw e;
    throw new UimgError('MALFORMED', `kexec-tools cannot set ${what} in the DTB: ${e.message}`, { field: 'dtb', offset: e.data.offset }, 'rebuild the DTB with dtc');
  }
}

function chosenOffset(ed: FdtEditor, onMissing: () => void): number {
  try {
    return ed.subnodeOffset(0, 'chosen');
  } catch (e) {
    if (!isFdtError(e, 'NOTFOUND')) throw e;
    onMissing();
    return ed.addSubnode(0, 'chosen');
  }
}

/**
 * The DTB length kexec-tools' ARM loader ends up with (kexec-zImage-arm.c setup_dtb_prop): on the file's bytes, for
 * /chosen bootargs and, with an initrd, linux,initrd-start/-end (4 bytes each), the length grows by its estimate of
 * each edit (a new node, a new property, or the growth of a longer value), totalsize follows, the edit is made in
 * that buffer, and nothing is repacked. The values do not change the length; `initrd` may give them.
 */
export function armDtbLength(dtb: Uint8Array, cmdline: string | undefined, initrd: boolean | { start: number; end: number }): number {
  checkedDtb(dtb);
  const ed = FdtEditor.wrap(dtb.slice());
  let size = dtb.length;
  const set = (name: string, value: Uint8Array) => dtbEdit(`/chosen/${name}`, () => {
    const chosen = chosenOffset(ed, () => ed.setTotalSize(size += nodeLen('chosen')));
    const old = ed.getProp(chosen, name);
    if (!old) size += propLen(name, value.length);
    else if (old.length < value.length) size += alignTag(value.length - old.length);
    if (ed.header.totalSize < size) ed.setTotalSize(size);
    ed.setProp(chosen, name, value);
  });
  if (cmdline !== undefined) set('bootargs', cString(cmdline));
  if (initrd) {
    const { start, end } = initrd === true ? { start: 0, end: 0 } : initrd;
    set('linux,initrd-start', u32be(start));
    set('linux,initrd-end', u32be(end));
  }
  return size;
}

function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32BE(b, 0, v);
  return b;
}

async function planArm64(input: PlanInput, kernel: ByteSource, fileOffset: number, wrapped: string, pageSize: number): Promise<KexecPlan> {
  const h = decodeArm64Header(await kernel.read(0, 64));
  const p = new Placer(input.ram, pageSize, input.memMin ?? 0);
  const { textOffset, imageSize, legacy } = arm64Placement(h);
  if (legacy) p.notes.push('image_size 0 (a kernel before 3.17): kexec-tools assumes text_offset 0x80000 and 16 MiB');
  if (!input.dtb) {
    throw new UimgError('USAGE', 'an arm64 plan needs --dtb', { field: 'dtb' }, 'kexec-tools would take /sys/firmware/fdt of the running system; give that file');
  }
  const hole = p.hole('Image', textOffset + imageSize, 2 * MIB, 0);
  if (hole === undefined) return arm64Result(p, input, wrapped, pageSize, 0);
  const imageBase = hole + textOffset;
  p.add({ name: 'kernel', source: { file: 'kernel', offset: fileOffset }, bufsz: kernel.size, mem: imageBase, memsz: imageSize });
  const holeMin = imageBase + imageSize;
  if (input.initrd) {
    const at = p.hole('initrd', input.initrd.size, 0, holeMin);
    if (at !== undefined) {
      p.add({ name: 'initrd', source: { file: 'initrd', offset: 0 }, bufsz: input.initrd.size, mem: at, memsz: input.initrd.size });
      const GIB = 2 ** 30;
      if (alignUp(at + input.initrd.size, GIB) - alignDown(imageBase, GIB) > 32 * GIB) {
        p.findings.push(finding('kexec-no-room', 'the Image and initrd span more than 32 GiB: kexec-tools refuses ("image + initrd too big")'));
      }
    }
  }
  const dtbSize = arm64DtbSize(input.dtb, input.cmdline ?? '', input.initrd !== undefined);
  if (dtbSize > 2 * MIB) p.findings.push(finding('kexec-no-room', `the DTB is ${dtbSize} bytes: kexec-tools refuses more than 2 MiB ("dtb too big")`));
  const dtbAt = p.hole('DTB', dtbSize, 0, holeMin);
  if (dtbAt !== undefined) p.add({ name: 'dtb', source: { file: 'dtb', offset: 0 }, bufsz: dtbSize, mem: dtbAt, memsz: dtbSize });
  const purgatorySize = input.purgatorySize ?? 16 << 10;
  const purgatoryAt = p.hole('purgatory', purgatorySize, 0, holeMin);
  if (purgatoryAt !== undefined) {
    p.add({ name: 'purgatory', source: { file: 'purgatory', offset: 0 }, bufsz: purgatorySize, mem: purgatoryAt, memsz: purgatorySize });
  }
  p.notes.push(`Image at 2 MiB-aligned hole ${hex(hole)} + text_offset ${hex(textOffset)}; initrd, DTB (${dtbSize} bytes, repacked) and purgatory (${purgatorySize} bytes assumed) above ${hex(holeMin)}`);
  return arm64Result(p, input, wrapped, pageSize, purgatoryAt ?? 0);
}

function arm64Result(p: Placer, input: PlanInput, wrapped: string, pageSize: number, entry: number): KexecPlan {
  const segments = [...p.segments].sort((a, b) => a.mem - b.mem);
  return {
    arch: 'arm64', kernelFormat: `${wrapped}Image`, segments, entry, entryExact: false, flags: KEXEC_ARCH_AARCH64,
    findings: [...p.findings, ...checkSegments(segments, input.ram, { pageSize, destinationLimit: Number.MAX_SAFE_INTEGER })],
    notes: [...p.notes, 'entry: purgatory_start inside the purgatory segment (its offset depends on the kexec-tools build); purgatory enters the Image with x0 = the DTB'],
  };
}

/**
 * The DTB size kexec-tools' arm64 loader ends up with (kexec-arm64.c setup_2nd_dtb, dt-ops.c): a non-empty command
 * line is set as /chosen bootargs by dtb_set_property (open into a bigger buffer, set the value with its length
 * rounded up to 4, fdt_pack); an 8-byte /chosen kaslr-seed makes it reopen and repack the tree; with an initrd,
 * 8-byte linux,initrd-start/-end are set the same way; without one they are deleted in place and the size stays
 * what it was. The values do not change the size.
 */
export function arm64DtbSize(dtb: Uint8Array, cmdline: string, initrd: boolean): number {
  checkedDtb(dtb);
  let blob = dtb;
  let size = dtb.length;
  const setProperty = (name: string, value: Uint8Array) => dtbEdit(`/chosen/${name}`, () => {
    const padded = new Uint8Array(alignTag(value.length));
    padded.set(value);
    const ed = FdtEditor.open(blob, alignTag(size + nodeLen('chosen') + propLen(name, padded.length)));
    let chosen: number;
    try {
      chosen = ed.pathOffset('/chosen');
    } catch (e) {
      if (!isFdtError(e, 'NOTFOUND')) throw e;
      chosen = ed.addSubnode(0, 'chosen');
    }
    ed.setProp(chosen, name, padded);
    ed.pack();
    blob = ed.bytes.slice();
    size = blob.length;
  });
  if (cmdline) setProperty('bootargs', cString(cmdline));
  const seeded = FdtEditor.wrap(blob.slice());
  const chosen = dtbEdit('/chosen/kaslr-seed', () => {
    try {
      return seeded.pathOffset('/chosen');
    } catch (e) {
      if (isFdtError(e, 'NOTFOUND')) return undefined;
      throw e;
    }
  });
  if (chosen !== undefined && seeded.getProp(chosen, 'kaslr-seed')?.length === 8) {
    dtbEdit('/chosen/kaslr-seed', () => seeded.pack());
    blob = seeded.bytes.slice();
    size = blob.length;
  }
  if (initrd) {
    setProperty('linux,initrd-start', new Uint8Array(8));
    setProperty('linux,initrd-end', new Uint8Array(8));
  }
  return size;
}
