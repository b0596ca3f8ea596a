/**
 * ARM and AArch64 ROM images: a stub that runs from the reset vector (flash), copies the kernel (and the DTB, when
 * embedded) from ROM to RAM, and enters the kernel as Linux's boot protocols ask:
 *
 * - ARM (Documentation/arm/booting.rst): r0 = 0, r1 = machine type, r2 = DTB (or ATAG) address, MMU and D-cache off,
 *   IRQ/FIQ masked (as at reset); the zImage may sit anywhere in the first 128 MiB of RAM (above 32 MiB it need not
 *   relocate itself before decompressing), the DTB 8-byte aligned where the decompressor will not overwrite it.
 * - AArch64 (Documentation/arm64/booting.rst): x0 = DTB, x1 = x2 = x3 = 0, DAIF masked, MMU off; the Image at a
 *   2 MiB-aligned base + text_offset with image_size bytes free; the DTB 8-byte aligned, at most 2 MiB.
 *
 * ROM: the stub, its literals and a copy table of (source offset from the stub, destination, length) entries ended
 * by a zero length; then the kernel and the DTB, each 16-byte aligned and zero-padded to the copy granule (4 bytes
 * a step on ARM, 16 on AArch64). The stub finds itself PC-relatively, so the ROM may be mapped anywhere. It does no
 * cache maintenance: it relies on the caches being off, as they are at reset.
 */
import { A32, A32_PCREL, a32Assembler } from '../../asm/a32.js';
import { A64, A64_PCREL, XZR, a64Assembler } from '../../asm/a64.js';
import type { Assembler } from '../../asm/assembler.js';
import { alignUp } from '../../bytes/align.js';
import type { ByteSink, ByteSource } from '../../bytes/source.js';
import { UimgError, hex32 } from '../../errors.js';
import { hex } from '../../numbers.js';
import { finding, type Finding } from '../../findings.js';
import { ARM64_IMAGE_HEADER_SIZE, arm64Placement, decodeArm64Header, isArm64Image } from '../image-arm64/image-arm64.js';
import { armDecompression } from '../zimage-arm/decompressor.js';
import { decodeArmZImageHeader, isArmZImage, readArmZImage, type ZImageArm } from '../zimage-arm/zimage-arm.js';
import type { RomLayout, RomRegion } from './layout.js';

export type ArmRomArch = 'arm' | 'arm64';

const MiB = 1 << 20;
/** QEMU's -M virt DTB for -bios boots: 1 MiB at the start of RAM. */
export const DEFAULT_DTB_RESERVE = MiB;
/** booting.rst: above 32 MiB the zImage need not move itself out of the decompressor's way. */
const ZIMAGE_OFFSET = 32 * MiB;
/** AUTO_ZRELADDR kernels derive the RAM base from their own address masked to 128 MiB. */
const ZIMAGE_WINDOW = 128 * MiB;
const ARM64_ALIGN = 2 * MiB;
const BLOB_ALIGN = 16;
export const DEFAULT_MACHINE_ID = 0xffffffff;

const GRANULE: Record<ArmRomArch, number> = { arm: 4, arm64: 16 };
const WORD: Record<ArmRomArch, 4 | 8> = { arm: 4, arm64: 8 };

export interface ArmRomOptions {
  arch: ArmRomArch;
  ramBase: number;
  /** Where the kernel is copied to (ARM: the zImage; AArch64: base + text_offset). Default: chosen clear of the DTB. */
  kernelAddress?: number;
  /** Where the DTB is (external) or goes (embedded). */
  dtbAddress?: number;
  /** RAM an external DTB may occupy at dtbAddress. */
  dtbReserve: number;
  /** ARM r1. */
  machineId: number;
  /** The address the ROM runs at (for the map). */
  romAddress: number;
}

export interface KernelFacts {
  size: number;
  /** ARM only: what the decompressor needs, to keep the DTB out of where it writes. */
  zimage?: Pick<ZImageArm, 'length' | 'kernelSize' | 'appendedDtb'>;
  /** AArch64 only. */
  textOffset?: number;
  /** AArch64 only: bytes the kernel needs from its start, BSS included. */
  imageSize?: number;
}

export interface CopyEntry {
  name: 'kernel' | 'dtb';
  romOffset: number;
  address: number;
  length: number;
}

export interface ArmRomPlan {
  arch: ArmRomArch;
  stub: Uint8Array;
  copies: CopyEntry[];
  layout: RomLayout;
  findings: Finding[];
}

/** Bytes of a kernel file kernelFacts() needs. */
export const KERNEL_HEAD_SIZE = ARM64_IMAGE_HEADER_SIZE;

function notA(what: string, field: string, offset: number, expected: string, actual: string, hint: string): UimgError {
  return new UimgError('BAD_MAGIC', `not ${what}: ${field} at ${hex32(offset)}: expected ${expected}, found ${actual}`,
    { field, offset, expected, actual }, hint);
}

/** Check that `head` starts the kernel the arch boots (ARM zImage, arm64 Image) and read what placing it needs. */
export function kernelFacts(arch: ArmRomArch, head: Uint8Array, size: number): KernelFacts {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const word = (at: number) => (head.length >= at + 4 ? hex32(view.getUint32(at, true)) : 'end of file');
  if (arch === 'arm') {
    if (size < KERNEL_HEAD_SIZE || !isArmZImage(head)) {
      throw notA('an ARM zImage', 'magic', 0x24, '0x016f2818', word(0x24),
        'an ARM zImage is arch/arm/boot/zImage (Debian: /boot/vmlinuz-*-armmp); for an AArch64 Image use arm64');
    }
    const h = decodeArmZImageHeader(head);
    const length = (h.end - h.start) >>> 0;
    if (length === 0 || length > size) {
      throw new UimgError('TRUNCATED', `ARM zImage: start ${hex32(h.start)} and end ${hex32(h.end)} give ${length} bytes, the file has ${size}`,
        { field: 'end', offset: 0x2c, expected: `<= ${size}`, actual: length }, 'the zImage is cut short');
    }
    return { size };
  }
  if (size < KERNEL_HEAD_SIZE || !isArm64Image(head)) {
    throw notA('an arm64 Image', 'magic', 0x38, '0x644d5241 ("ARMd")', word(0x38),
      'an arm64 Image is arch/arm64/boot/Image (Debian: /boot/vmlinuz-*-arm64), uncompressed: gunzip an Image.gz first');
  }
  const h = decodeArm64Header(head);
  if (h.flagBits.bigEndian) {
    throw new UimgError('UNSUPPORTED_TYPE', 'the arm64 Image is a big-endian kernel; the ROM stub starts little-endian kernels only',
      { field: 'flags', offset: 0x18, actual: h.flags });
  }
  const { textOffset, imageSize } = arm64Placement(h);
  return { size, textOffset, imageSize: Math.max(imageSize, size) };
}

/** kernelFacts() from a source, plus (ARM) the zImage's size record, which says where its decompressor writes. */
export async function readKernelFacts(arch: ArmRomArch, src: ByteSource): Promise<KernelFacts> {
  const facts = kernelFacts(arch, await src.read(0, KERNEL_HEAD_SIZE), src.size);
  return arch === 'arm' ? { ...facts, zimage: (await readArmZImage(src)).zimage } : facts;
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

export interface StubParams {
  machineId: number;
  dtbAddress: number;
  entry: number;
  copies: readonly { romOffset: number; address: number; length: number }[];
}

/** Labels where the parameters sit, for decoding. */
const LIT = { start: 'start', dtb: 'dtb', entry: 'entry', machid: 'machid', table: 'table' } as const;

function a32Stub(p: StubParams): Assembler {
  const a = a32Assembler(0);
  const next = a.local(), copy = a.local(), done = a.local();
  a.label(LIT.start)
    .insn(A32.mrc15(0, 0, 1, 0, 0)).insn(A32.bicImm(0, 0, 0b101)).insn(A32.mcr15(0, 0, 1, 0, 0)) // SCTLR: M and C off
    .insn(A32_PCREL.adr(4, LIT.start)).insn(A32_PCREL.adr(5, LIT.table))
    .label(next).insn(A32.ldmiaWb(5, [0, 1, 2])).insn(A32.cmpImm(2, 0)).insn(A32_PCREL.b(done, 'eq')).insn(A32.add(0, 0, 4))
    .label(copy).insn(A32.ldrPost(3, 0, 4)).insn(A32.strPost(3, 1, 4)).insn(A32.subsImm(2, 2, 4)).insn(A32_PCREL.b(copy, 'gt'))
    .insn(A32_PCREL.b(next))
    .label(done).insn(A32.movImm(0, 0)).insn(A32_PCREL.ldrLiteral(1, LIT.machid)).insn(A32_PCREL.ldrLiteral(2, LIT.dtb))
    .insn(A32_PCREL.ldrLiteral(15, LIT.entry))
    .label(LIT.machid).u32(p.machineId).label(LIT.dtb).u32(p.dtbAddress).label(LIT.entry).u32(p.entry).label(LIT.table);
  for (const c of p.copies) a.u32(c.romOffset).u32(c.address).u32(c.length);
  return a.u32(0).u32(0).u32(0);
}

function a64Stub(p: StubParams): Assembler {
  const a = a64Assembler(0);
  const next = a.local(), copy = a.local(), done = a.local();
  a.label(LIT.start).insn(A64.msrDaifset(0xf))
    .insn(A64_PCREL.adr(5, LIT.start)).insn(A64_PCREL.adr(6, LIT.table))
    .label(next).insn(A64.ldpPost(1, 2, 6, 16)).insn(A64.ldrPost(3, 6, 8)).insn(A64_PCREL.cbz(3, done)).insn(A64.add(1, 1, 5))
    .label(copy).insn(A64.ldpPost(7, 8, 1, 16)).insn(A64.stpPost(7, 8, 2, 16)).insn(A64.subsImm(3, 3, 16)).insn(A64_PCREL.bcond('gt', copy))
    .insn(A64_PCREL.b(next))
    .label(done).insn(A64_PCREL.ldrLiteral(0, LIT.dtb)).insn(A64.mov(1, XZR)).insn(A64.mov(2, XZR)).insn(A64.mov(3, XZR))
    .insn(A64_PCREL.ldrLiteral(4, LIT.entry)).insn(A64.br(4))
    .align(8).label(LIT.dtb).u64(p.dtbAddress).label(LIT.entry).u64(p.entry).label(LIT.table);
  for (const c of p.copies) a.u64(c.romOffset).u64(c.address).u64(c.length);
  return a.u64(0).u64(0).u64(0);
}

const STUB: Record<ArmRomArch, (p: StubParams) => Assembler> = { arm: a32Stub, arm64: a64Stub };

/** The stub for these parameters (its size depends only on the number of copies). */
export function assembleArmStub(arch: ArmRomArch, p: StubParams): Uint8Array {
  return STUB[arch](p).assemble('little');
}

/**
 * The least alignment of the RAM base: ARM enters the zImage at base + 0x8000 in A32 state and the stub copies in
 * words, so a word; arm64 RAM is mapped in pages (4 KiB at the least), and the Image's 2 MiB-aligned base is found
 * from it.
 */
const RAM_BASE_ALIGN: Record<ArmRomArch, number> = { arm: 4, arm64: 4096 };

function checkAddress(value: number, arch: ArmRomArch, field: string): void {
  const max = arch === 'arm' ? 0xffffffff : 2 ** 48 - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new UimgError('BAD_VALUE', `--${field}: ${value} is not a ${arch === 'arm' ? '32' : '48'}-bit address`, { field, actual: value });
  }
}

function placeKernel(o: ArmRomOptions, k: KernelFacts, dtb: [number, number] | undefined): { address: number; footprint: number } {
  if (o.arch === 'arm') {
    const footprint = alignUp(k.size, GRANULE.arm);
    if (o.kernelAddress !== undefined) {
      if (o.kernelAddress % 4 !== 0) throw new UimgError('BAD_VALUE', `--kernel-address ${hex(o.kernelAddress)} is not 4-byte aligned`, { field: 'kernel-address', actual: hex(o.kernelAddress) });
      return { address: o.kernelAddress, footprint };
    }
    let address = o.ramBase + ZIMAGE_OFFSET;
    if (dtb && overlaps([address, address + footprint], dtb)) address = alignUp(dtb[1], MiB);
    return { address, footprint };
  }
  const textOffset = k.textOffset ?? 0;
  const footprint = alignUp(k.imageSize ?? k.size, GRANULE.arm64);
  if (o.kernelAddress !== undefined) {
    if ((o.kernelAddress - textOffset) % ARM64_ALIGN !== 0) {
      throw new UimgError('BAD_VALUE', `--kernel-address ${hex(o.kernelAddress)} is not a 2 MiB-aligned base + text_offset ${hex(textOffset)}`,
        { field: 'kernel-address', expected: `2 MiB multiple + ${hex(textOffset)}`, actual: hex(o.kernelAddress) }, 'arm64 booting.rst: the Image goes at a 2 MiB-aligned base + text_offset');
    }
    return { address: o.kernelAddress, footprint };
  }
  let base = alignUp(o.ramBase, ARM64_ALIGN);
  if (dtb && overlaps([base + textOffset, base + textOffset + footprint], dtb)) base = alignUp(dtb[1], ARM64_ALIGN);
  return { address: base + textOffset, footprint };
}

/** Lay out the ROM: where the kernel and DTB go in ROM and RAM, and the stub that copies them. */
export function planArmRom(o: ArmRomOptions, kernel: KernelFacts, dtbSize?: number): ArmRomPlan {
  const { arch } = o;
  const granule = GRANULE[arch];
  const findings: Finding[] = [];
  checkAddress(o.ramBase, arch, 'ram-base');
  if (o.ramBase % RAM_BASE_ALIGN[arch] !== 0) {
    const align = RAM_BASE_ALIGN[arch];
    throw new UimgError('BAD_VALUE', `--ram-base ${hex(o.ramBase)} is not ${align === 4 ? '4-byte' : '4 KiB'} aligned`,
      { field: 'ram-base', expected: `a multiple of ${hex(align)}`, actual: hex(o.ramBase) },
      arch === 'arm' ? 'the zImage is entered at the RAM base + 0x8000 as A32 code: give the real start of RAM (e.g. 0x40000000)'
        : 'arm64 maps RAM in pages of at least 4 KiB: give the real start of RAM (e.g. 0x40000000)');
  }
  if (o.kernelAddress !== undefined) checkAddress(o.kernelAddress, arch, 'kernel-address');
  if (o.dtbAddress !== undefined) {
    checkAddress(o.dtbAddress, arch, 'dtb-address');
    if (o.dtbAddress % 8 !== 0) {
      throw new UimgError('BAD_VALUE', `--dtb-address ${hex(o.dtbAddress)} is not 8-byte aligned`, { field: 'dtb-address', actual: hex(o.dtbAddress) }, 'booting.rst asks for a 64-bit aligned DTB');
    }
  }
  if (dtbSize === undefined && o.dtbAddress === undefined) {
    if (arch === 'arm64') throw new UimgError('USAGE', 'arm64 needs a DTB: --dtb FILE, or --dtb-address ADDR where one already is', { field: 'dtb' }, 'on QEMU -M virt the firmware DTB is at the RAM base: --dtb-address 0x40000000');
    findings.push(finding('rom-no-dtb', 'no --dtb or --dtb-address: r2 = 0, so the kernel must know the board from --machine-id alone',
      'pass --dtb FILE, or --dtb-address where the firmware leaves one'));
  }
  if (arch === 'arm64' && dtbSize !== undefined && dtbSize > 2 * MiB) {
    throw new UimgError('SIZE_LIMIT', `the DTB is ${dtbSize} bytes; arm64 kernels accept at most 2 MiB`, { field: 'dtb', expected: `<= ${2 * MiB}`, actual: dtbSize });
  }
  // An external DTB is reserved before the kernel is placed; an embedded one without an address goes after the kernel.
  const dtbLength = dtbSize === undefined ? undefined : alignUp(dtbSize, granule);
  let dtbRange: [number, number] | undefined =
    o.dtbAddress === undefined ? undefined : [o.dtbAddress, o.dtbAddress + (dtbLength ?? o.dtbReserve)];
  const k = placeKernel(o, kernel, dtbRange);
  const kernelRange: [number, number] = [k.address, k.address + k.footprint];
  if (dtbRange && overlaps(kernelRange, dtbRange)) {
    throw new UimgError('BAD_VALUE', `the kernel at ${hex(kernelRange[0])}..${hex(kernelRange[1])} overlaps the DTB at ${hex(dtbRange[0])}..${hex(dtbRange[1])}`,
      { field: 'kernel-address', actual: hex(k.address) }, 'leave out --kernel-address to let uimg place the kernel clear of the DTB');
  }
  // The ARM decompressor writes below and beyond the zImage (page tables, the kernel and its BSS, its stack, maybe a
  // moved copy of itself): an embedded DTB goes past all of it, an external one must not be in it.
  const writes = arch === 'arm' && kernel.zimage ? armDecompression(kernel.zimage, k.address)?.writes ?? [] : [];
  if (dtbLength !== undefined && !dtbRange) {
    const clear = Math.max(kernelRange[1], ...writes.map((w) => w.end));
    const at = arch === 'arm' ? alignUp(clear, MiB) + MiB : alignUp(kernelRange[1], ARM64_ALIGN);
    dtbRange = [at, at + dtbLength];
  }
  const hit = dtbRange && writes.find((w) => overlaps([w.start, w.end], dtbRange!));
  if (hit) {
    throw new UimgError('BAD_VALUE', `the DTB at ${hex(dtbRange![0])}..${hex(dtbRange![1])} lies where the zImage's decompressor writes its ${hit.what} (${hex(hit.start)}..${hex(hit.end)})`,
      { field: 'dtb-address', actual: hex(dtbRange![0]), expected: `outside ${hex(hit.start)}..${hex(hit.end)}` },
      `put the DTB above ${hex(Math.max(...writes.map((w) => w.end)))}, embed it with --dtb (placed clear of the kernel), or give its real size with --dtb-size`);
  }
  if (arch === 'arm' && (k.address < o.ramBase || k.address + k.footprint > o.ramBase + ZIMAGE_WINDOW)) {
    findings.push(finding('rom-zimage-high', `the zImage at ${hex(k.address)} is not within the first 128 MiB of RAM (${hex(o.ramBase)})`,
      'kernels with AUTO_ZRELADDR find the RAM base from their own address rounded down to 128 MiB'));
  }
  const dtbAddress = dtbRange?.[0] ?? 0;

  // The stub's size does not depend on the values in it, only on the number of copies.
  const params = (copies: CopyEntry[]): StubParams => ({ machineId: o.machineId, dtbAddress, entry: k.address, copies });
  const entries = (romKernel: number): CopyEntry[] => {
    const kernelLength = alignUp(kernel.size, granule); // the kernel clears its own BSS
    const list: CopyEntry[] = [{ name: 'kernel', romOffset: romKernel, address: k.address, length: kernelLength }];
    if (dtbLength !== undefined) list.push({ name: 'dtb', romOffset: alignUp(romKernel + kernelLength, BLOB_ALIGN), address: dtbAddress, length: dtbLength });
    return list;
  };
  const stubSize = STUB[arch](params(entries(0))).layout().end;
  const copies = entries(alignUp(stubSize, BLOB_ALIGN));
  const stub = assembleArmStub(arch, params(copies));
  const end = copies.at(-1)!.romOffset + copies.at(-1)!.length;
  const top = Math.max(end, ...copies.map((c) => c.address + c.length));
  if (arch === 'arm' && top > 2 ** 32) {
    throw new UimgError('SIZE_LIMIT', `the ROM or a copy ends at 0x${top.toString(16)}, past the 32-bit address space`,
      { field: 'size', expected: '<= 0x100000000', actual: top }, 'an ARM ROM image and its copies must fit below 4 GiB');
  }
  const at = (offset: number) => o.romAddress + offset;
  const regions: RomRegion[] = [
    { name: 'stub', offset: 0, size: stub.length, address: at(0), use: 'runs in place', detail: `copies ${copies.length === 1 ? 'the kernel' : 'the kernel and the DTB'}, then enters the kernel` },
    ...copies.map((c): RomRegion => ({
      name: c.name === 'kernel' ? (arch === 'arm' ? 'zImage' : 'Image') : 'DTB',
      offset: c.romOffset, size: c.name === 'kernel' ? kernel.size : dtbSize!, address: c.address, use: 'copied',
      ...(c.name === 'kernel' && arch === 'arm64' ? { detail: `text_offset ${hex(kernel.textOffset ?? 0)}, image_size ${hex(k.footprint)}` } : {}),
    })),
  ];
  if (o.dtbAddress !== undefined && dtbSize === undefined) {
    regions.push({ name: 'DTB', offset: 0, size: 0, address: o.dtbAddress, use: 'data', detail: `not in ROM: left where the firmware put it; ${hex(o.dtbReserve)} bytes kept clear` });
  }
  const registers: Record<string, number> = arch === 'arm'
    ? { r0: 0, r1: o.machineId, r2: dtbAddress }
    : { x0: dtbAddress, x1: 0, x2: 0, x3: 0 };
  return {
    arch, stub, copies, findings,
    layout: { kind: arch, regions, entry: { address: k.address, registers, detail: arch === 'arm' ? 'zImage start' : 'Image start' }, size: end },
  };
}

/** Write the ROM: the stub, then each blob at its offset, zero-padded. */
export async function writeArmRom(plan: ArmRomPlan, kernel: ByteSource, dtb: ByteSource | undefined, sink: ByteSink): Promise<void> {
  let at = 0;
  const zeros = async (n: number) => {
    if (n > 0) await sink.write(new Uint8Array(n));
    at += n;
  };
  await sink.write(plan.stub);
  at = plan.stub.length;
  for (const c of plan.copies) {
    const src = c.name === 'kernel' ? kernel : dtb!;
    await zeros(c.romOffset - at);
    for await (const chunk of src.chunks(0, src.size)) await sink.write(chunk);
    at += src.size;
    await zeros(c.romOffset + c.length - at);
  }
}

export interface ArmRomDecoded {
  arch: ArmRomArch;
  stubSize: number;
  machineId?: number;
  dtbAddress: number;
  entry: number;
  copies: { romOffset: number; address: number; length: number }[];
}

const MAX_COPIES = 8;

/** Recognise a uimg ARM/AArch64 ROM stub from the file's first bytes; undefined when it is not one. */
export function decodeArmRom(head: Uint8Array): ArmRomDecoded | undefined {
  for (const arch of ['arm', 'arm64'] as const) {
    const probe = STUB[arch]({ machineId: 0, dtbAddress: 0, entry: 0, copies: [] });
    const { labels } = probe.layout();
    const codeEnd = labels.get(arch === 'arm' ? LIT.machid : LIT.dtb)!;
    const code = probe.assemble('little').subarray(0, codeEnd);
    if (head.length < codeEnd || code.some((b, i) => head[i] !== b)) continue;
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const w = WORD[arch];
    const word = (off: number) => (off + w > head.length ? undefined : w === 4 ? view.getUint32(off, true) : Number(view.getBigUint64(off, true)));
    const table = labels.get(LIT.table)!;
    const copies: ArmRomDecoded['copies'] = [];
    for (let i = 0; i <= MAX_COPIES; i++) {
      const [romOffset, address, length] = [0, 1, 2].map((j) => word(table + (3 * i + j) * w));
      if (romOffset === undefined || address === undefined || length === undefined) return undefined;
      if (length === 0) {
        return {
          arch,
          stubSize: table + (3 * i + 3) * w,
          ...(arch === 'arm' ? { machineId: word(labels.get(LIT.machid)!)! } : {}),
          dtbAddress: word(labels.get(LIT.dtb)!)!,
          entry: word(labels.get(LIT.entry)!)!,
          copies,
        };
      }
      copies.push({ romOffset, address, length });
    }
  }
  return undefined;
}
