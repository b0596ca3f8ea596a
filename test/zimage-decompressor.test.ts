/**
 * The one model of where the ARM zImage decompressor writes (head.S): where the kernel goes, when the zImage moves
 * itself and where to, and what it writes in place; on synthetic size records and on Debian's armmp kernel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { armDecompression } from '../src/formats/zimage-arm/decompressor.js';
import { readArmZImage, type ZImageArm } from '../src/formats/zimage-arm/zimage-arm.js';
import { debianArmmpZImage } from './debian-files.js';
import { skipTest } from './skip.js';

/** A 1 MiB zImage whose kernel is 4 MiB of text and data and 256 KiB of BSS. */
const zimage = (over: Partial<ZImageArm['kernelSize']> = {}, appendedDtb?: number) => ({
  length: 0x100000,
  kernelSize: { sizeOffset: 0xffffc, decompressedSize: 0x400000, bssSize: 0x40000, textOffset: 0x8000, mallocSize: 0x10000, ...over },
  ...(appendedDtb ? { appendedDtb: { offset: 0x100000, totalSize: appendedDtb } } : {}),
});
/** The zImage's bytes, 4 KiB stack and 64 KiB malloc area. */
const FOOTPRINT = 0x100000 + 0x11000;

describe('armDecompression: the ARM decompressor\'s writes', () => {
  it('loaded where its kernel goes: page tables 16 KiB below, kernel + BSS, and the zImage moved past the kernel\'s data', () => {
    const d = armDecompression(zimage(), 0x80008000)!;
    expect(d.kernelStart).toBe(0x80008000);
    expect(d.pageTables).toEqual({ start: 0x80004000, end: 0x80008000 });
    expect(d.kernel).toEqual({ start: 0x80008000, end: 0x80448000 });
    expect(d.image).toEqual({ start: 0x80008000, end: 0x80008000 + FOOTPRINT });
    expect(d.moved).toEqual({ start: 0x80408000, end: 0x80408000 + FOOTPRINT });
    expect(d.inPlaceWorkspace).toBeUndefined();
    expect(d.writes.map((w) => w.what)).toEqual(['page tables', 'decompressed kernel and BSS', 'moved zImage']);
  });

  it('the kernel base is the 128 MiB-aligned region the zImage runs in, plus the TEXT_OFFSET the record gives', () => {
    expect(armDecompression(zimage({ textOffset: 0x208000 }), 0x87000000)!.kernelStart).toBe(0x80208000);
    expect(armDecompression(zimage({ textOffset: undefined }), 0x47000000)!.kernelStart).toBe(0x40008000);
  });

  it('stays when its kernel\'s text and data end before it, even if the BSS reaches it; stack and malloc in place', () => {
    const d = armDecompression(zimage(), 0x80420000)!; // data ends at 0x80408000, BSS at 0x80448000
    expect(d.moved).toBeUndefined();
    expect(d.inPlaceWorkspace).toEqual({ start: 0x80520000, end: 0x80420000 + FOOTPRINT });
  });

  it('stays when it ends 16 KiB below the kernel, moves when it ends inside the page tables', () => {
    expect(armDecompression(zimage({ textOffset: 0x208000 }), 0x80208000 - 0x4000 - FOOTPRINT)!.moved).toBeUndefined();
    expect(armDecompression(zimage({ textOffset: 0x208000 }), 0x80208000 - 0x4000 - FOOTPRINT + 4)!.moved).toBeDefined();
    expect(armDecompression(zimage({ textOffset: 0x208000 }), 0x80208000)!.moved).toBeDefined();
  });

  it('an appended DTB travels with the zImage (8-byte aligned) and must stay clear of the kernel\'s BSS', () => {
    const stays = armDecompression(zimage({}, 0x3701), 0x80420000)!; // the BSS ends at 0x80448000, before the DTB
    expect(stays.moved).toBeUndefined();
    expect(stays.image.end).toBe(0x80420000 + FOOTPRINT + 0x3708);
    expect(stays.inPlaceWorkspace).toEqual({ start: 0x80520000 + 0x3708, end: stays.image.end });
    // A 2 MiB BSS would clear the DTB at 0x80520000: the zImage moves, as far past the data as the BSS overshoots.
    const moves = armDecompression(zimage({ bssSize: 0x200000 }, 0x3701), 0x80420000)!;
    expect(moves.moved).toEqual({ start: 0x80508000, end: 0x80508000 + FOOTPRINT + 0x3708 });
    // Its fixups of the DTB run on the stack in place first.
    expect(moves.inPlaceWorkspace).toEqual(stays.inPlaceWorkspace);
  });

  it('takes the malloc size from the 6.1 record, 64 KiB before it; the copy lands on a 256-byte boundary', () => {
    expect(armDecompression(zimage({ mallocSize: 0x20000 }), 0x80008000)!.image.end).toBe(0x80008000 + 0x100000 + 0x21000);
    expect(armDecompression(zimage({ mallocSize: undefined }), 0x80008000)!.image.end).toBe(0x80008000 + FOOTPRINT);
    expect(armDecompression(zimage({ decompressedSize: 0x400001 }), 0x80008000)!.moved!.start).toBe(0x80408100);
  });

  it('without a kernel size record how far the kernel reaches is unknown', () => {
    expect(armDecompression({ length: 0x100000 }, 0x80008000)).toBeUndefined();
  });

  it('Debian armmp (TEXT_OFFSET 0x208000) at the classic 0x80008000: it moves past the 20 MB kernel', async (ctx) => {
    const path = await debianArmmpZImage();
    if (typeof path === 'object') {
      skipTest(ctx, 'zimage-decompressor', path.skip);
      return;
    }
    const { zimage: z } = await readArmZImage(fromBytes(new Uint8Array(readFileSync(path))));
    const d = armDecompression(z, 0x80008000)!;
    const ks = z.kernelSize!;
    expect(d.kernelStart).toBe(0x80208000);
    expect(d.kernel.end).toBe(0x80208000 + ks.decompressedSize + ks.bssSize);
    expect(d.moved!.start).toBe(Math.ceil((0x80208000 + ks.decompressedSize) / 256) * 256);
    expect(d.moved!.end - d.moved!.start).toBe(z.length + 0x11000);
  });
});
