/**
 * A C header for a custom first-stage loader of the simplest kind: read the 64-byte uImage header at IMG_ADDRESS in
 * flash, copy ih_size bytes of data to ih_load, jump to ih_ep (r2 = the DTB). The values come from the uImage
 * itself; static assertions let the compiler re-check every relation the values must keep (size = header + data,
 * entry inside the data, no overlaps, inside RAM, DTB alignment), so a hand-edited header fails to build.
 */
import { UimgError } from '../errors.js';
import { HEADER_SIZE, UIMAGE_MAGIC, nameOf } from '../formats/uimage/header.js';
import { DTB_ALIGN, FDT_FIXUP_ROOM, planBoot, requireBootable, type BootPlan } from '../layout/boot.js';
import { kernelLabel, kernelMislabel, type DtbImage, type KernelImage } from '../layout/kernel.js';
import type { RamSpec } from '../layout/model.js';
import { hex } from '../numbers.js';
import { requirePageAligned } from './at91bootstrap.js';

export interface CHeaderOptions {
  kernel: KernelImage;
  /** Flash offset of the uImage header. */
  imgAddress: number;
  /** The NAND page size when the kernel is read from NAND: IMG_ADDRESS and DTB_OFFSET must be multiples of it. */
  nandPageSize?: { size: number; defaulted: boolean };
  /** Where the loader reads the whole uImage first; absent: the data goes straight to the load address. */
  stagingAddress?: number;
  dtb?: { offset: number; address: number; image: DtbImage };
  ram?: RamSpec;
  /** Prepended to every macro name (e.g. "KERNEL_"). */
  prefix?: string;
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function cHeader(o: CHeaderOptions): { text: string; plan: BootPlan } {
  const k = o.kernel;
  const h = k.uimage;
  if (!h) {
    throw new UimgError('UNBOOTABLE', `a loader that reads size, load and entry from a uImage header cannot boot an ${kernelLabel(k)}`,
      { field: 'kernel', expected: 'uImage', actual: k.kind }, 'wrap the kernel: uimg create zImage -o uImage -A arm -C none -a LOAD');
  }
  const mislabel = kernelMislabel(k);
  if (mislabel || h.comp !== 0) {
    throw new UimgError('UNBOOTABLE', `${mislabel ?? `the uImage is ${k.compression}-compressed`}: a loader that copies its data to the load address cannot run it`,
      { field: 'ih_comp', offset: 31, expected: 'none', actual: mislabel ? `${k.compression} label, ${k.dataCompression ?? 'uncompressed'} data` : k.compression },
      'wrap the kernel uncompressed (-C none with the zImage, which decompresses itself)');
  }
  if (h.dataSize === 0 || ((h.entry - h.load) >>> 0) >= h.dataSize) {
    throw new UimgError('UNBOOTABLE', `the entry point ${hex(h.entry)} is outside the data [${hex(h.load)}, ${hex(h.load + h.dataSize)})`,
      { field: 'ih_ep', offset: 20, actual: hex(h.entry) }, 'the entry point is usually the load address');
  }
  if (o.nandPageSize) {
    requirePageAligned(o.imgAddress, 'img-address', o.nandPageSize);
    if (o.dtb) requirePageAligned(o.dtb.offset, 'dtb-offset', o.nandPageSize);
  }
  const prefix = o.prefix ?? '';
  if (prefix && !C_IDENTIFIER.test(prefix)) throw new UimgError('BAD_VALUE', `macro prefix '${prefix}' is not a C identifier`, { field: 'prefix', actual: prefix });
  const plan = requireBootable(planBoot({
    kernel: k, ...(o.stagingAddress !== undefined ? { kernelAddress: o.stagingAddress } : {}), ...(o.ram ? { ram: o.ram } : {}),
    ...(o.dtb ? { dtb: { address: o.dtb.address, image: o.dtb.image } } : {}),
  }), 'first-stage loader');

  const P = (name: string) => prefix + name;
  const out: string[] = [];
  const define = (name: string, value: number, why: string) => out.push(`/* ${why} */`, `#define ${P(name).padEnd(20)} ${hex(value)}u`);
  const guard = `${prefix}UIMG_BOOT_H`;
  out.push(
    `/* Boot parameters for a first-stage loader, made by uimg from the uImage "${nameOf(h).replace(/\*\//g, '* /')}" (${kernelLabel(k)}). */`,
    `#ifndef ${guard}`, `#define ${guard}`, '',
  );
  define('IMG_ADDRESS', o.imgAddress, 'Flash offset of the uImage header.');
  define('IMG_SIZE', HEADER_SIZE + h.dataSize, 'Bytes of the uImage in flash: the 64-byte header plus ih_size.');
  define('IMG_HEADER_SIZE', HEADER_SIZE, 'The legacy uImage header (big-endian fields).');
  define('IMG_MAGIC', UIMAGE_MAGIC, 'ih_magic, at header offset 0.');
  define('IMG_DATA_SIZE', h.dataSize, 'ih_size, at header offset 12: bytes of data after the header.');
  define('IMG_DATA_CRC', h.dataCrc, 'ih_dcrc, at header offset 24: CRC-32 of the data.');
  define('LOAD_ADDR', h.load, 'ih_load, at header offset 16: RAM address the data is copied to.');
  define('JUMP_ADDR', h.entry, 'ih_ep, at header offset 20: where the loader jumps.');
  if (o.stagingAddress !== undefined) define('STAGING_ADDR', o.stagingAddress, 'RAM address the whole uImage is read to before its data is copied.');
  if (o.dtb) {
    define('DTB_OFFSET', o.dtb.offset, 'Flash offset of the DTB.');
    define('DTB_ADDRESS', o.dtb.address, 'RAM address of the DTB, passed in r2 (x0 on arm64).');
    define('DTB_SIZE', o.dtb.image.totalSize ?? o.dtb.image.fileSize, 'Bytes of the DTB (its totalsize).');
    define('DTB_ROOM', FDT_FIXUP_ROOM, 'Room kept after the DTB for the loader\'s fixups (bootargs, memory).');
  }
  if (o.ram) {
    define('RAM_BASE', o.ram.base, 'Start of RAM.');
    define('RAM_SIZE', o.ram.size, 'Bytes of RAM.');
  }

  // Every relation in 64-bit arithmetic, so sums near 4 GiB cannot wrap.
  const u = (name: string) => `${P('UIMG_U64')}(${P(name)})`;
  const disjoint = (a: string, aSize: string, b: string, bSize: string) =>
    `${u(a)} + ${aSize} <= ${u(b)} || ${u(b)} + ${bSize} <= ${u(a)}`;
  const asserts: [string, string][] = [
    [`${u('IMG_SIZE')} == ${u('IMG_HEADER_SIZE')} + ${u('IMG_DATA_SIZE')}`, 'IMG_SIZE is the header plus ih_size'],
    [`${u('JUMP_ADDR')} >= ${u('LOAD_ADDR')} && ${u('JUMP_ADDR')} < ${u('LOAD_ADDR')} + ${u('IMG_DATA_SIZE')}`, 'the entry point lies inside the loaded data'],
  ];
  if (o.stagingAddress !== undefined && o.stagingAddress + HEADER_SIZE !== h.load) {
    asserts.push([disjoint('STAGING_ADDR', u('IMG_SIZE'), 'LOAD_ADDR', u('IMG_DATA_SIZE')), 'the staging copy does not overlap the load range']);
  }
  if (o.dtb) {
    asserts.push([`${u('DTB_ADDRESS')} % ${DTB_ALIGN} == 0`, 'the DTB is 64-bit aligned']);
    asserts.push([disjoint('DTB_ADDRESS', `${u('DTB_SIZE')} + ${u('DTB_ROOM')}`, 'LOAD_ADDR', u('IMG_DATA_SIZE')), 'the DTB does not overlap the kernel']);
  }
  if (o.ram) {
    const inside = (addr: string, size: string) => `${u(addr)} >= ${u('RAM_BASE')} && ${u(addr)} + ${size} <= ${u('RAM_BASE')} + ${u('RAM_SIZE')}`;
    asserts.push([inside('LOAD_ADDR', u('IMG_DATA_SIZE')), 'the kernel lies inside RAM']);
    if (o.dtb) asserts.push([inside('DTB_ADDRESS', `${u('DTB_SIZE')} + ${u('DTB_ROOM')}`), 'the DTB lies inside RAM']);
    if (o.stagingAddress !== undefined) asserts.push([inside('STAGING_ADDR', u('IMG_SIZE')), 'the staging copy lies inside RAM']);
  }
  out.push('', `#define ${P('UIMG_U64')}(x) ((unsigned long long)(x))`, '#ifdef __cplusplus', `#define ${P('UIMG_STATIC_ASSERT')}(c, m) static_assert(c, m)`, '#else',
    `#define ${P('UIMG_STATIC_ASSERT')}(c, m) _Static_assert(c, m)`, '#endif');
  for (const [condition, message] of asserts) out.push(`${P('UIMG_STATIC_ASSERT')}(${condition}, "${message}");`);
  out.push('', `#endif /* ${guard} */`);
  return { text: out.join('\n') + '\n', plan };
}
