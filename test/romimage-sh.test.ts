// The SH romImage: byte-identical to Linux 6.1's for the kfr2r09 board (fixtures/romimage/PROVENANCE.md), the
// boot-parameter page and its options, the layout, the SH zImage check, and reading romImages back.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes, memorySink } from '../src/bytes/source.js';
import { UimgError } from '../src/errors.js';
import { formatScript, parseScript, scriptCommands, type ScriptCommand } from '../src/formats/romimage/script.js';
import { decodeShSetup, looksLikeShRomImage } from '../src/formats/romimage/sh-decode.js';
import { kernelText, planShRomImage, SH_BOARDS, writeShRomImage, type ShRomOptions } from '../src/formats/romimage/sh-romimage.js';
import { DEFAULT_BOOT_PARAMS, decodeZeroPage, encodeZeroPage } from '../src/formats/romimage/zero-page.js';
import { isShZImage, parseShZImage } from '../src/formats/zimage-sh/zimage-sh.js';
import { FIXTURES } from './helpers.js';
import { fakeShZImage } from './sh-zimage-fake.js';

const KFR2R09 = parseScript(readFileSync(join(FIXTURES, 'romimage/kfr2r09-partner-jet-setup.txt'), 'utf8'));
/** Linux 6.1's kfr2r09 romImage up to the zImage: setup code (0..0x7EC) and the zero page (0x7EC..0x17EC). */
const GOLDEN = new Uint8Array(readFileSync(join(FIXTURES, 'romimage/kfr2r09-romimage-head.bin')));
const GOLDEN_PAGE_AT = 0x7ec;

function options(board: string, extra: Partial<ShRomOptions> = {}): ShRomOptions {
  const b = SH_BOARDS.find((x) => x.name === board)!;
  return {
    endian: 'little', commands: [], pageOffset: 0x80000000, memoryStart: b.memoryStart, zeroPageOffset: b.zeroPageOffset,
    pageSize: b.pageSize, addressMode: 29, zeroPage: encodeZeroPage(DEFAULT_BOOT_PARAMS, b.pageSize, 'little'), romAddress: 0xa0000000,
    ...(b.cacheTail ? { icbiAddress: 0xa0000000 | b.memoryStart } : {}),
    ...extra,
  };
}

async function build(o: ShRomOptions, payload: Uint8Array, raw = false): Promise<Uint8Array> {
  const sink = memorySink();
  await writeShRomImage(o, { source: fromBytes(payload), raw }, sink);
  return sink.bytes();
}

describe('acceptance: Linux 6.1 kfr2r09 romImage', () => {
  it('setup code and default page are byte-identical to the kernel build', async () => {
    const zimage = fakeShZImage();
    const rom = await build(options('kfr2r09', { commands: scriptCommands(KFR2R09) }), zimage);
    expect(Buffer.from(rom.subarray(0, GOLDEN_PAGE_AT)).equals(Buffer.from(GOLDEN.subarray(0, GOLDEN_PAGE_AT)))).toBe(true);
    expect(Buffer.from(rom.subarray(GOLDEN_PAGE_AT, GOLDEN.length)).equals(Buffer.from(GOLDEN.subarray(GOLDEN_PAGE_AT)))).toBe(true);
    expect(Buffer.from(rom.subarray(GOLDEN.length)).equals(Buffer.from(zimage))).toBe(true);
  });

  it('r2d (generic board, no script): copy code, literals and page are byte-identical too', async () => {
    const golden = readFileSync(join(FIXTURES, 'romimage/r2d-romimage-head.bin'));
    const rom = await build(options('r2d'), fakeShZImage({ linkAddress: 0x8c800000, kernelEntry: 0x8c011000 }));
    expect(Buffer.from(rom.subarray(0, golden.length)).equals(golden)).toBe(true);
  });

  it('the default page is the kernel\'s .empty_zero_page', () => {
    expect(Buffer.from(encodeZeroPage(DEFAULT_BOOT_PARAMS, 4096, 'little')).equals(Buffer.from(GOLDEN.subarray(GOLDEN_PAGE_AT)))).toBe(true);
  });

  it('a changed script changes the code (the comparison can fail)', async () => {
    const commands = scriptCommands(parseScript(formatScript(KFR2R09).replace('WAIT 1\n', 'WAIT 2\n')));
    const rom = await build(options('kfr2r09', { commands }), fakeShZImage());
    expect(Buffer.from(rom.subarray(0, GOLDEN_PAGE_AT)).equals(Buffer.from(GOLDEN.subarray(0, GOLDEN_PAGE_AT)))).toBe(false);
  });
});

describe('layout', () => {
  it('kfr2r09: script 0..0x79C, tail, copy code, literals at 0x7E4, page at 0x7EC, zImage after it', () => {
    const plan = planShRomImage(options('kfr2r09', { commands: scriptCommands(KFR2R09) }), 0x1000, parseShZImage(fakeShZImage(), 0x1000));
    expect(plan.layout.regions.map((r) => [r.name, r.offset, r.size, r.address])).toEqual([
      ['setup', 0, 0x79c, 0xa0000000],
      ['cache tail', 0x79c, 0x10, 0xa000079c],
      ['copy code', 0x7ac, 0x40, 0xa00007ac],
      ['boot-parameter page', 0x7ec, 0x1000, 0x88001000],
      ['zImage', 0x17ec, 0x1000, 0xa00017ec],
    ]);
    expect(plan.layout.entry.address).toBe(0x88002000);
    expect(plan.commandCount).toBe(99);
  });

  it('r2d (no script, no tail): the 0x40-byte prologue of Linux\'s generic board, _text 0x8C010000', () => {
    const plan = planShRomImage(options('r2d'), 16, undefined);
    const view = new DataView(plan.head.buffer);
    expect(plan.payloadOffset).toBe(0x1040);
    expect(view.getUint32(0x38, true)).toBe(0x8c010000);
    expect(view.getUint32(0x3c, true)).toBe(4);
    expect(plan.layout.entry).toMatchObject({ address: 0xa0001040, detail: 'payload, run in place' });
  });

  it.each([[4096, 12], [8192, 13], [16384, 14], [65536, 16]] as const)('%i-byte pages: the page and the copy count follow', (pageSize, shift) => {
    const o = options('r2d', { pageSize, zeroPageOffset: 0x10000, zeroPage: encodeZeroPage(DEFAULT_BOOT_PARAMS, pageSize, 'little') });
    const plan = planShRomImage(o, 4);
    expect(plan.payloadOffset).toBe(0x40 + pageSize);
    expect(plan.head[8]).toBe(shift - 4); // mov #(PAGE_SHIFT - 4),r4
    expect(decodeShSetup(plan.head)?.copyCode.pageSize).toBe(pageSize);
  });

  it('_text follows MEMORY_START and ZERO_PAGE_OFFSET; 32-bit (PMB) kernels leave MEMORY_START out', () => {
    expect(kernelText({ pageOffset: 0x80000000, memoryStart: 0x0c000000, zeroPageOffset: 0x10000, addressMode: 29 })).toBe(0x8c010000);
    expect(kernelText({ pageOffset: 0x80000000, memoryStart: 0x08000000, zeroPageOffset: 0x1000, addressMode: 32 })).toBe(0x80001000);
  });

  it('big-endian: opcodes, literals and page words are stored big-endian', async () => {
    const o = options('r2d', { endian: 'big', zeroPage: encodeZeroPage(DEFAULT_BOOT_PARAMS, 4096, 'big'), commands: scriptCommands(parseScript('ED 0xac000000, 0x12345678\n')) });
    const rom = await build(o, fakeShZImage({ endian: 'big' }));
    expect(Array.from(rom.subarray(0, 4))).toEqual([0xd1, 0x02, 0xd0, 0x03]);
    expect(Array.from(rom.subarray(12, 20))).toEqual([0xac, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    expect(decodeShSetup(rom)?.endian).toBe('big');
  });

  it('refuses a zImage of the other byte order, and a page of the wrong size', () => {
    expect(() => planShRomImage(options('r2d'), 0x400, parseShZImage(fakeShZImage({ endian: 'big' }), 0x400))).toThrow(/big-endian, the ROM little-endian/);
    expect(() => planShRomImage(options('r2d', { zeroPage: new Uint8Array(8192) }), 4)).toThrow(/8192 bytes, the page size 4096/);
  });
});

describe('payload check', () => {
  it('an SH zImage: link address, entry, byte order', () => {
    for (const endian of ['little', 'big'] as const) {
      const z = parseShZImage(fakeShZImage({ endian, linkAddress: 0x8c800000, kernelEntry: 0x8c011000 }), 0x400);
      expect(z).toMatchObject({ endian, linkAddress: 0x8c800000, kernelEntry: 0x8c011000, kexecMagicOffset: 0x1c, headerVersion: 0x0202 });
    }
  });

  it('anything else is refused with the failed check named, unless raw', async () => {
    const notZImage = new Uint8Array(0x400).fill(0x09);
    await expect(build(options('r2d'), notZImage)).rejects.toThrow(/not an SH zImage: HdrS signature at 0x00000202: expected 48 64 72 53/);
    const bzImageLike = fakeShZImage();
    bzImageLike.fill(0, 0x10, 0x200); // "HdrS" but no SH literal pool (an x86 bzImage has HdrS at 0x202 too)
    expect(isShZImage(bzImageLike, bzImageLike.length)).toBe(false);
    await expect(build(options('r2d'), bzImageLike)).rejects.toMatchObject({ code: 'BAD_MAGIC', message: /kexec magic/ });
    await expect(build(options('r2d'), new Uint8Array(0x100))).rejects.toThrow(/at least 528 bytes/);
    expect((await build(options('r2d'), notZImage, true)).length).toBe(0x1040 + 0x400);
    await expect(build(options('r2d'), new Uint8Array(0), true)).rejects.toMatchObject({ code: 'EMPTY_INPUT' });
  });
});

describe('boot-parameter page', () => {
  it('fields at Linux\'s offsets; the command line at 0x100', () => {
    const page = encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, rootReadOnly: 0, ramdiskFlags: 0x4000, rootDevice: 0x0801, loaderType: 1,
      initrdStart: 0x00800000, initrdSize: 0x123456, addressMode: 32, commandLine: 'console=ttySC1,115200 root=/dev/ram0' }, 4096, 'little');
    const view = new DataView(page.buffer);
    expect([0, 4, 8, 12, 16, 20, 24].map((o) => view.getUint32(o, true))).toEqual([0, 0x4000, 0x0801, 1, 0x800000, 0x123456, 0x53453f20]);
    expect(Buffer.from(page.subarray(0x100, 0x125)).toString()).toBe('console=ttySC1,115200 root=/dev/ram0\0');
    expect(decodeZeroPage(page, 'little')).toMatchObject({ addressMode: 32, commandLine: 'console=ttySC1,115200 root=/dev/ram0', strayBytes: 0, commandLineUnterminated: false });
  });

  it('511 bytes of command line fit; 512 do not; no NUL inside', () => {
    expect(decodeZeroPage(encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, commandLine: 'x'.repeat(511) }, 4096, 'big'), 'big').commandLine).toHaveLength(511);
    expect(() => encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, commandLine: 'x'.repeat(512) }, 4096, 'little')).toThrow(/512 bytes; Linux reads at most 511/);
    expect(() => encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, commandLine: 'a\0b' }, 4096, 'little')).toThrow(/NUL/);
  });

  it('the initrd start must be page aligned', () => {
    expect(() => encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, initrdStart: 0x1800 }, 4096, 'little')).toThrow(UimgError);
    expect(() => encodeZeroPage({ ...DEFAULT_BOOT_PARAMS, initrdStart: 0x1000 }, 8192, 'little')).toThrow(/not page aligned/);
  });

  it('decoding notices bytes that a boot-parameter page does not have', () => {
    const page = encodeZeroPage(DEFAULT_BOOT_PARAMS, 4096, 'little');
    page[0x800] = 1;
    page[0x18] = 0;
    expect(decodeZeroPage(page, 'little')).toMatchObject({ strayBytes: 1, marker: 0x53453f00 });
    expect(decodeZeroPage(page, 'little').addressMode).toBeUndefined();
  });
});

describe('reading romImages back', () => {
  it('the Linux-built kfr2r09 head gives back its script, tail, page address and page size', () => {
    const d = decodeShSetup(GOLDEN)!;
    expect(d).toMatchObject({ endian: 'little', icbiAddress: 0xa8000000, copyCode: { offset: 0x7ac, pageSize: 4096, kernelText: 0x88001000 }, pageOffset: 0x7ec });
    const values = (cs: readonly ScriptCommand[]) => cs.filter((c) => c.op !== 'LIST').map((c) =>
      c.op === 'WAIT' ? [c.op, c.count.value] : c.op === 'DD' ? [c.op, c.addr.value] : [c.op, c.addr.value, c.data.value]);
    expect(values(d.commands)).toEqual(values(scriptCommands(KFR2R09)));
    expect(looksLikeShRomImage(GOLDEN.subarray(0, 100))).toBe(true);
  });

  it('not a romImage: zeros, an ARM stub, a zImage', () => {
    expect(decodeShSetup(new Uint8Array(4096))).toBeUndefined();
    expect(looksLikeShRomImage(new Uint8Array(4096))).toBe(false);
    expect(looksLikeShRomImage(fakeShZImage())).toBe(false);
    expect(looksLikeShRomImage(GOLDEN.subarray(0, 30))).toBe(false); // one command is not enough to tell
  });

  const command = fc.oneof(
    fc.record({ op: fc.constantFrom('ED' as const, 'EW' as const, 'EB' as const), addr: fc.nat({ max: 0xffffffff }), data: fc.nat({ max: 0xff }) })
      .map(({ op, addr, data }) => `${op} ${addr}, ${data}`),
    fc.nat({ max: 42949672 }).map((n) => `WAIT ${n}`),
    fc.nat({ max: 0xffffffff }).map((n) => `DD ${n}`),
  );

  it('property: any script, either byte order, tail or not: decode(build(script)) gives the script back', () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 20 }), fc.constantFrom('little' as const, 'big' as const), fc.boolean(), (lines, endian, tail) => {
      const commands = scriptCommands(parseScript(lines.join('\n') + '\n'));
      const o = options('r2d', { endian, commands, zeroPage: encodeZeroPage(DEFAULT_BOOT_PARAMS, 4096, endian), ...(tail ? { icbiAddress: 0xac000000 } : {}) });
      const d = decodeShSetup(planShRomImage(o, 4).head)!;
      expect(d.commands.map((c) => c.op)).toEqual(commands.map((c) => c.op));
      expect(d.commands.map((c) => JSON.stringify(c).replace(/"text":"[^"]*"/g, ''))).toEqual(commands.map((c) => JSON.stringify(c).replace(/"text":"[^"]*"/g, '')));
      expect(d.icbiAddress).toBe(tail ? 0xac000000 : undefined);
    }), { numRuns: 200 });
  });
});
