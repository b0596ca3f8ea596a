// uimg romimage sh | arm | arm64 | script, and uimg inspect on what they make: outputs, maps, --json, warnings,
// exit codes, and no output file when anything is wrong.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { zImageShFormat } from '../src/formats/zimage-sh/zimage-sh.js';
import { FIXTURES, runOurs, tempDir } from './helpers.js';
import { shRomImage } from './romimage-build.js';
import { fakeShZImage } from './sh-zimage-fake.js';

const SCRIPT = join(FIXTURES, 'romimage/kfr2r09-partner-jet-setup.txt');
const GOLDEN = readFileSync(join(FIXTURES, 'romimage/kfr2r09-romimage-head.bin'));
const ZIMAGE_ARM = join(FIXTURES, 'inspect/zimage-xz.bin');
const IMAGE_ARM64 = join(FIXTURES, 'inspect/image-arm64.bin');
const DTB = join(FIXTURES, 'inspect/board.dtb');

let dir = '';
const uimg = (...args: string[]) => runOurs('uimg', args, dir);
const json = (r: ReturnType<typeof uimg>) => JSON.parse(r.stdout.toString());
/** The root node of `uimg inspect FILE --json`. */
const inspectRoot = (file: string) => json(uimg('inspect', file, '--json')).files[0].root;

beforeAll(() => {
  dir = tempDir('uimg-romimage-cli-');
  writeFileSync(join(dir, 'zImage'), fakeShZImage());
  writeFileSync(join(dir, 'zImage-r2d'), fakeShZImage({ linkAddress: 0x8c800000, kernelEntry: 0x8c011000 }));
  writeFileSync(join(dir, 'page.bin'), GOLDEN.subarray(0x7ec));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('romimage sh', () => {
  it('kfr2r09: Linux\'s head byte for byte, the map on stdout', () => {
    const r = uimg('romimage', 'sh', '--script', SCRIPT, '--zimage', 'zImage', '--board', 'kfr2r09', '-o', 'kfr.rom');
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'kfr.rom')).subarray(0, GOLDEN.length).equals(GOLDEN)).toBe(true);
    expect(r.stdout.toString()).toContain('SH romImage, little-endian, 99 script commands, 4 KiB pages, _text 0x88001000\n');
    expect(r.stdout.toString()).toMatch(/0x000007ec  0x00001000  0x88001000  copied +boot-parameter page/);
    expect(r.stdout.toString()).toContain('entry: 0x88002000');
  });

  it('the exact option spellings of the issue, and --json as data', () => {
    const r = uimg('romimage', 'sh', '--script', SCRIPT, '--zimage', 'zImage', '--memory-start', '0x0c000000', '--zero-page-offset', '0x10000',
      '--page-size', '16K', '--cmdline', 'console=ttySC1,115200', '--json', '-o', 'x.rom');
    expect(r.status).toBe(0);
    const j = json(r);
    expect(j).toMatchObject({ schemaVersion: 1, ok: true, file: 'x.rom', layout: { kind: 'sh' }, sh: { pageSize: 16384, kernelText: 0x8c010000, kernelTextHex: '0x8c010000', commands: 99, cacheTail: false, bootParams: { commandLine: 'console=ttySC1,115200', addressMode: 29 }, payload: { type: 'sh-zimage', linkAddress: 0x88800000 } } });
    expect(j.layout.regions.map((x: { name: string }) => x.name)).toEqual(['setup', 'copy code', 'boot-parameter page', 'zImage']);
    expect(readFileSync(join(dir, 'x.rom')).length).toBe(j.layout.size);
  });

  it('boot-parameter options land in the page', () => {
    const r = uimg('romimage', 'sh', '--board', 'r2d', '--zimage', 'zImage-r2d', '--json', '-o', 'p.rom', '--initrd-start', '0x800000', '--initrd-size', '1048576',
      '--root-device', '0x0100', '--root-readonly', '0', '--loader-type', '2', '--ramdisk-flags', '0x4000', '--address-mode', '32');
    expect(r.status).toBe(0);
    expect(json(r).sh.bootParams).toMatchObject({ initrdStart: 0x800000, initrdSize: 0x100000, rootDevice: 0x100, rootReadOnly: 0, loaderType: 2, ramdiskFlags: 0x4000, addressMode: 32, marker: 0x53453f20 });
    expect(json(r).sh.kernelText).toBe(0x80010000); // 32-bit: PAGE_OFFSET + ZERO_PAGE_OFFSET
  });

  it('--zero-page takes a kernel\'s page as it is', () => {
    const r = uimg('romimage', 'sh', '--board', 'kfr2r09', '--script', SCRIPT, '--zimage', 'zImage', '--zero-page', 'page.bin', '-o', 'z.rom');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'z.rom')).subarray(0, GOLDEN.length).equals(GOLDEN)).toBe(true);
  });

  it('--raw-payload takes any payload', () => {
    writeFileSync(join(dir, 'raw.bin'), new Uint8Array([0x0b, 0x00, 0x09, 0x00]));
    const r = uimg('romimage', 'sh', '--board', 'r2d', '--zimage', 'raw.bin', '--raw-payload', '-q', '-o', 'raw.rom');
    expect([r.status, r.stdout.toString()]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'raw.rom')).length).toBe(0x1044);
  });

  it.each([
    [['--zimage', ZIMAGE_ARM], 4, /zimage-xz.bin: not an SH zImage: HdrS signature at 0x00000202.*--raw-payload/],
    [['--zimage', 'zImage', '--script', join(FIXTURES, 'asm/sh4-insns.S')], 4, /sh4-insns.S: line 1: unknown command '\/\*'|sh4-insns.S: line 2: unknown command/],
    [['--zimage', 'zImage', '--page-size', '3000'], 2, /--page-size: '3000' is not an SH page size: expected 4K, 8K, 16K or 64K/],
    [['--zimage', 'zImage', '--zero-page', 'page.bin', '--cmdline', 'x'], 2, /--zero-page takes the whole page from a file; --cmdline cannot change it/],
    [['--zimage', 'zImage', '--zero-page', SCRIPT], 2, /is not a page/],
    [['--zimage', 'zImage', '--cmdline', 'x'.repeat(512)], 2, /512 bytes; Linux reads at most 511/],
    [['--zimage', 'zImage', '--initrd-start', '0x1800'], 2, /not page aligned/],
    [['--zimage', 'zImage', '--memory-start', 'zz'], 2, /--memory-start: 'zz' is not a 32-bit hex address/],
    [['--zimage', 'zImage', '--board', 'nosuch'], 2, /Invalid values|nosuch/],
    [['--zimage', 'missing.bin'], 3, /missing.bin: cannot open/],
    [['--zimage', 'zImage', '--endian', 'big'], 2, /the zImage is little-endian, the ROM big-endian/],
  ])('%j: exit %i, one clear line, no output file', (args, status, message) => {
    const r = uimg('romimage', 'sh', ...args, '-o', 'bad.rom');
    expect(r.status).toBe(status);
    expect(r.stderr.toString()).toMatch(message);
    expect(r.stderr.toString().trim().split('\n').length).toBeLessThanOrEqual(3); // yargs usage errors add its help
    expect(existsSync(join(dir, 'bad.rom'))).toBe(false);
  });
});

describe('romimage arm / arm64', () => {
  // The fixture zImage has the classic TEXT_OFFSET 0x8000: its decompressor's page tables start at RAM + 0x4000.
  it('ARM: RAM base and firmware DTB; the zImage goes to RAM + 32 MiB', () => {
    const r = uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '--dtb-size', '16K', '--json', '-o', 'arm.rom');
    expect(r.status).toBe(0);
    const j = json(r);
    expect(j.layout.entry).toMatchObject({ address: 0x42000000, registers: { r0: 0, r1: 0xffffffff, r2: 0x40000000 } });
    expect(j.findings).toEqual([]);
  });

  it('ARM: an embedded DTB is placed after the zImage; --machine-id goes to r1', () => {
    const r = uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x80000000', '--dtb', DTB, '--machine-id', '3138', '--json', '-o', 'arm-dtb.rom');
    expect(r.status).toBe(0);
    const j = json(r);
    expect(j.arm.copies.map((c: { name: string; address: number }) => [c.name, c.address])).toEqual([['kernel', 0x82000000], ['dtb', 0x82200000]]);
    expect(j.layout.entry.registers).toEqual({ r0: 0, r1: 3138, r2: 0x82200000 });
  });

  it('ARM warnings: no DTB (rom-no-dtb), a zImage beyond 128 MiB (rom-zimage-high); quiet otherwise', () => {
    const noDtb = uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--kernel-address', '0x48000000', '-o', 'w.rom');
    expect(noDtb.status).toBe(0);
    expect(noDtb.stderr.toString()).toMatch(/warning: no --dtb or --dtb-address: r2 = 0/);
    expect(noDtb.stderr.toString()).toMatch(/warning: the zImage at 0x48000000 is not within the first 128 MiB of RAM/);
    const quiet = uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '--dtb-size', '16K', '-o', 'w.rom');
    expect(quiet.stderr.toString()).toBe('');
  });

  it('ARM: a firmware DTB where the decompressor writes is refused, and nothing is written', () => {
    const r = uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '-o', 'hit.rom');
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/^uimg: .*the DTB at 0x40000000\.\.0x40100000 lies where the zImage's decompressor writes its page tables \(0x40004000\.\.0x40008000\).*hint: put the DTB above/);
    expect(r.stderr.toString().trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'hit.rom'))).toBe(false);
  });

  it('arm64: QEMU\'s DTB at the RAM base pushes the Image to the next 2 MiB boundary', () => {
    const r = uimg('romimage', 'arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '--json', '-o', 'a64.rom');
    expect(r.status).toBe(0);
    expect(json(r).layout.entry).toMatchObject({ address: 0x40200000, registers: { x0: 0x40000000, x1: 0, x2: 0, x3: 0 } });
  });

  it('the least RAM base alignment is enough: a word on ARM, a 4 KiB page on arm64', () => {
    expect(uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000004', '--dtb', DTB, '-q', '-o', 'w.rom').status).toBe(0);
    expect(uimg('romimage', 'arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40001000', '--dtb', DTB, '-q', '-o', 'p.rom').status).toBe(0);
  });

  it('arm64: addresses above 4 GiB', () => {
    const r = uimg('romimage', 'arm64', '--image', IMAGE_ARM64, '--ram-base', '0x880000000', '--dtb', DTB, '--json', '-o', 'hi.rom');
    expect(r.status).toBe(0);
    expect(json(r).layout.entry.address).toBe(0x880000000);
  });

  it.each([
    [['arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '--kernel-address', '0x40000000'], 2, /the kernel at 0x40000000\.\.0x400028e0 overlaps the DTB at 0x40000000\.\.0x40100000/],
    [['arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000000'], 2, /arm64 needs a DTB/],
    [['arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000000', '--dtb', DTB, '--kernel-address', '0x40100000'], 2, /not a 2 MiB-aligned base \+ text_offset/],
    [['arm64', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb', DTB], 4, /zimage-xz.bin: not an arm64 Image: magic at 0x00000038/],
    [['arm', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000000', '--dtb', DTB], 4, /image-arm64.bin: not an ARM zImage: magic at 0x00000024/],
    [['arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb', ZIMAGE_ARM], 4, /zimage-xz.bin: not a DTB/],
    [['arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb-address', '0x40000004'], 2, /not 8-byte aligned/],
    [['arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000001', '--dtb', DTB], 2, /^uimg: --ram-base 0x40000001 is not 4-byte aligned \(hint: the zImage is entered/],
    [['arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000800', '--dtb', DTB], 2, /^uimg: --ram-base 0x40000800 is not 4 KiB aligned/],
    [['arm', '--zimage', ZIMAGE_ARM], 2, /^uimg: romimage arm: --ram-base is missing \(hint: see 'uimg romimage arm --help'\)$/m],
  ])('%j: exit %i, no output file', (args, status, message) => {
    const r = uimg('romimage', ...args, '-o', 'bad.rom');
    expect(r.status).toBe(status);
    expect(r.stderr.toString()).toMatch(message);
    expect(existsSync(join(dir, 'bad.rom'))).toBe(false);
  });
});

describe('romimage script', () => {
  it('prints the script back byte for byte, or as romimage.h / gas', () => {
    expect(uimg('romimage', 'script', SCRIPT).stdout.toString()).toBe(readFileSync(SCRIPT, 'utf8'));
    expect(uimg('romimage', 'script', SCRIPT, '--emit', 'romimage.h', '--board', 'kfr2r09').stdout.toString()).toMatch(/#include <asm\/romimage-macros.h>[\s\S]*icbi\t@r0/);
    expect(uimg('romimage', 'script', SCRIPT, '--emit', 'asm').stdout.toString()).toMatch(/\.macro\tED addr, data/);
    const r = uimg('romimage', 'script', SCRIPT, '--emit', 'romimage.h', '-o', 'romimage.h');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'romimage.h'), 'utf8')).not.toContain('icbi');
  });

  it('--json: the commands with their lines', () => {
    const j = json(uimg('romimage', 'script', SCRIPT, '--json'));
    expect(j.commands[0]).toEqual({ line: 1, op: 'LIST', text: 'SPDX-License-Identifier: GPL-2.0' });
    expect(j.commands.find((c: { op: string }) => c.op === 'EW')).toMatchObject({ line: 18, addr: { value: 0xa4520004 } });
  });

  it('a broken script: the file and line, exit 4; stdin works', () => {
    writeFileSync(join(dir, 'bad.txt'), 'ED 1, 2\nEB 0, 0x1ff\n');
    const r = uimg('romimage', 'script', 'bad.txt');
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toBe('uimg: bad.txt: line 2: EB data: 0x1ff does not fit 8 bits\n');
    const s = runOurs('uimg', ['romimage', 'script', '-'], dir, {}, new TextEncoder().encode('WAIT 1\n'));
    expect([s.status, s.stdout.toString()]).toEqual([0, 'WAIT 1\n']);
    const e = uimg('romimage', 'script', 'bad.txt', '--json');
    expect(json(e)).toMatchObject({ ok: false, error: { code: 'BAD_SCRIPT', data: { line: 2, file: 'bad.txt' } } });
  });
});

describe('uimg inspect on ROM images', () => {
  it('an SH romImage: script, page, and the zImage inside', async () => {
    writeFileSync(join(dir, 'sh.rom'), await shRomImage({ script: 'EW 0xa4520004, 0xa507\nWAIT 3\nDD 0xa8000000\n', cmdline: 'root=/dev/ram0' }));
    const root = inspectRoot('sh.rom');
    expect(root.format).toBe('romimage');
    expect(root.fields.script).toEqual([
      { offset: 0, offsetHex: '0x00000000', command: 'EW 0xa4520004, 0xa507' },
      { offset: 20, offsetHex: '0x00000014', command: 'WAIT 3' },
      { offset: 40, offsetHex: '0x00000028', command: 'DD 0xa8000000' },
    ]);
    expect(root.fields.bootParams).toMatchObject({ commandLine: 'root=/dev/ram0', addressMode: 29 });
    expect(root.fields.kernelText).toBe(0x8c010000);
    expect(root.children[0]).toMatchObject({ name: 'payload', format: 'zimage-sh', fields: { linkAddress: 0x8c800000, kernelEntry: 0x8c011000 } });
    const text = uimg('inspect', 'sh.rom').stdout.toString();
    expect(text).toContain('SH romImage, little-endian, 3 script commands, 4 KiB boot-parameter page to 0x8c010000, 29-bit, command line "root=/dev/ram0"');
  });

  it('uimg\'s ARM and AArch64 ROMs: the stub\'s table, the kernel and the DTB inside', () => {
    uimg('romimage', 'arm', '--zimage', ZIMAGE_ARM, '--ram-base', '0x40000000', '--dtb', DTB, '-q', '-o', 'i-arm.rom');
    uimg('romimage', 'arm64', '--zimage', IMAGE_ARM64, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '-q', '-o', 'i-a64.rom');
    const arm = inspectRoot('i-arm.rom');
    const a64 = inspectRoot('i-a64.rom');
    expect(arm.format).toBe('romimage');
    expect(arm.children.map((c: { format: string }) => c.format)).toEqual(['zimage-arm', 'fdt']);
    expect(a64.children.map((c: { format: string }) => c.format)).toEqual(['image-arm64']);
    expect(a64.summary).toBe('uimg AArch64 ROM image: stub copies 1 blob, enters 0x40200000 with x0=0x40000000');
  });

  it('a DTB whose size is no multiple of the copy granule: the part is its totalsize, no trailing-bytes', () => {
    expect(readFileSync(DTB).length % 16).not.toBe(0); // 445 bytes: the stub copies 448 (4-byte granule on ARM, 16 on arm64)
    for (const arch of ['arm', 'arm64']) {
      const kernel = arch === 'arm' ? ZIMAGE_ARM : IMAGE_ARM64;
      expect(uimg('romimage', arch, '--zimage', kernel, '--ram-base', '0x40000000', '--dtb', DTB, '-q', '-o', `pad-${arch}.rom`).status).toBe(0);
      const r = json(uimg('inspect', `pad-${arch}.rom`, '--json'));
      const dtb = r.files[0].root.children.find((c: { format: string }) => c.format === 'fdt');
      expect(dtb.length).toBe(445);
      expect(JSON.stringify(r)).not.toMatch(/trailing-bytes/);
    }
  });

  it('--scan finds a uimg ROM stub inside a flash dump', () => {
    writeFileSync(join(dir, 'dump.bin'), Buffer.concat([Buffer.alloc(0x3000), readFileSync(join(dir, 'i-a64.rom'))]));
    const hits = json(uimg('inspect', '--scan', 'dump.bin', '--json')).files[0].scan;
    expect(hits[0]).toMatchObject({ offset: 0x3000, format: 'romimage' });
  });

  it('an SH zImage on its own: the payload and its sizes', async () => {
    const body = gzipSync(new Uint8Array(5000).fill(7));
    const z = new Uint8Array(0x400 + 4 + body.length);
    z.set(fakeShZImage({ size: 0x400 }));
    new DataView(z.buffer).setUint32(0x400, body.length, true);
    z.set(body, 0x404);
    const d = await zImageShFormat.decode(fromBytes(z));
    expect(d.value.payload).toEqual({ format: 'gzip', offset: 0x404, length: body.length, decompressedSize: 5000 });
    expect(d.summary).toBe('SH zImage, little-endian, links at 0x88800000, kernel entry 0x88002000, gzip payload');
    const bare = await zImageShFormat.decode(fromBytes(fakeShZImage()));
    expect(bare.findings.map((f) => f.rule)).toEqual(['malformed']);
  });

  it('a damaged romImage: page marker, cut short', async () => {
    writeFileSync(join(dir, 'marker.rom'), await shRomImage({ marker: 0x12345678 }));
    writeFileSync(join(dir, 'cut.rom'), (await shRomImage()).subarray(0, 0x800));
    const rules = (file: string) => inspectRoot(file).findings.map((f: { rule: string }) => f.rule);
    expect(rules('marker.rom')).toEqual(['romimage-page']);
    expect(rules('cut.rom')).toEqual(['truncated', 'truncated']);
  });

  it('the inspect fixtures are not taken for ROM images', () => {
    for (const f of ['zimage-xz.bin', 'image-arm64.bin', 'bzimage.bin', 'uimage-zimage.img', 'board.dtb']) {
      expect(inspectRoot(join(FIXTURES, 'inspect', f)).format).not.toBe('romimage');
    }
  });
});
