/**
 * The SH boot-parameter page ("empty_zero_page", arch/sh/include/asm/setup.h): the first page of the kernel's `_text`,
 * read by the kernel at boot. Words in the CPU's byte order:
 *
 *   0x000 MOUNT_ROOT_RDONLY   0x004 RAMDISK_FLAGS   0x008 ORIG_ROOT_DEV   0x00C LOADER_TYPE (non-zero: initrd valid)
 *   0x010 INITRD_START (offset from MEMORY_START)   0x014 INITRD_SIZE   0x018 "SE?" marker + address mode (29 or 32)
 *   0x100 COMMAND_LINE, NUL-terminated, COMMAND_LINE_SIZE = 512 in Linux 6.1
 *
 * The defaults are what a Linux 6.1 build puts in `.empty_zero_page` (kernel/head_32.S).
 */
import type { Endian } from '../../asm/sh4.js';
import { UimgError, hex32 } from '../../errors.js';

export const PAGE_SIZES = [4096, 8192, 16384, 65536] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

export const COMMAND_LINE_OFFSET = 0x100;
/** Linux 6.1's COMMAND_LINE_SIZE for SH: 511 bytes and the NUL. */
export const COMMAND_LINE_SIZE = 512;
const MARKER_BASE = 0x53453f00; // "SE?" then the address mode

export interface BootParams {
  rootReadOnly: number;
  ramdiskFlags: number;
  rootDevice: number;
  loaderType: number;
  initrdStart: number;
  initrdSize: number;
  /** 29-bit (legacy P1/P2 segments) or 32-bit (PMB) physical addressing: the marker word's low byte. */
  addressMode: 29 | 32;
  commandLine: string;
}

export const DEFAULT_BOOT_PARAMS: BootParams = {
  rootReadOnly: 1,
  ramdiskFlags: 0,
  rootDevice: 0x0200,
  loaderType: 1,
  initrdStart: 0,
  initrdSize: 0,
  addressMode: 29,
  commandLine: '',
};

const FIELDS = [
  ['rootReadOnly', 0x00],
  ['ramdiskFlags', 0x04],
  ['rootDevice', 0x08],
  ['loaderType', 0x0c],
  ['initrdStart', 0x10],
  ['initrdSize', 0x14],
] as const satisfies readonly (readonly [keyof BootParams, number])[];

export function isPageSize(n: number): n is PageSize {
  return (PAGE_SIZES as readonly number[]).includes(n);
}

export function encodeZeroPage(p: BootParams, pageSize: PageSize, endian: Endian): Uint8Array {
  const page = new Uint8Array(pageSize);
  const view = new DataView(page.buffer);
  const le = endian === 'little';
  for (const [field, offset] of FIELDS) {
    const v = p[field];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new UimgError('BAD_VALUE', `boot parameter ${field}: ${v} is not a 32-bit value`, { field, actual: String(v) });
    }
    view.setUint32(offset, v, le);
  }
  if (p.initrdStart % pageSize !== 0) {
    throw new UimgError('BAD_VALUE', `initrd start ${hex32(p.initrdStart)} is not page aligned`,
      { field: 'initrdStart', expected: `a multiple of ${pageSize}`, actual: hex32(p.initrdStart) },
      'INITRD_START is an offset from MEMORY_START and must be a multiple of the page size');
  }
  view.setUint32(0x18, MARKER_BASE + p.addressMode, le);
  const cmdline = new TextEncoder().encode(p.commandLine);
  if (cmdline.includes(0)) throw new UimgError('BAD_VALUE', 'the command line contains a NUL byte', { field: 'commandLine' });
  if (cmdline.length > COMMAND_LINE_SIZE - 1) {
    throw new UimgError('BAD_VALUE', `the command line is ${cmdline.length} bytes; Linux reads at most ${COMMAND_LINE_SIZE - 1}`,
      { field: 'commandLine', expected: `<= ${COMMAND_LINE_SIZE - 1} bytes`, actual: cmdline.length }, 'shorten --cmdline');
  }
  page.set(cmdline, COMMAND_LINE_OFFSET);
  return page;
}

export interface DecodedZeroPage extends Omit<BootParams, 'addressMode'> {
  /** The marker word as found; addressMode is set only when it is a valid "SE?" marker. */
  marker: number;
  addressMode?: 29 | 32;
  /** Non-zero bytes outside the known fields and the command line (a page that is not a boot-parameter page). */
  strayBytes: number;
  /** The command line runs to the end of its 512 bytes without a NUL. */
  commandLineUnterminated: boolean;
}

export function decodeZeroPage(page: Uint8Array, endian: Endian): DecodedZeroPage {
  if (page.length < COMMAND_LINE_OFFSET + COMMAND_LINE_SIZE) throw new Error('a boot-parameter page is at least 4 KiB');
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const le = endian === 'little';
  const word = (off: number) => view.getUint32(off, le);
  const marker = word(0x18);
  const mode = marker - MARKER_BASE;
  const area = page.subarray(COMMAND_LINE_OFFSET, COMMAND_LINE_OFFSET + COMMAND_LINE_SIZE);
  const nul = area.indexOf(0);
  let strayBytes = 0;
  for (let i = 0x1c; i < page.length; i++) {
    if (i === COMMAND_LINE_OFFSET) i += COMMAND_LINE_SIZE;
    if (i < page.length && page[i] !== 0) strayBytes++;
  }
  return {
    rootReadOnly: word(0x00),
    ramdiskFlags: word(0x04),
    rootDevice: word(0x08),
    loaderType: word(0x0c),
    initrdStart: word(0x10),
    initrdSize: word(0x14),
    marker,
    ...(mode === 29 || mode === 32 ? { addressMode: mode } : {}),
    commandLine: new TextDecoder().decode(area.subarray(0, nul < 0 ? area.length : nul)),
    commandLineUnterminated: nul < 0,
    strayBytes,
  };
}
