/**
 * Golden outputs of every loader emitter and of the layout maps (fixtures/loader; UIMG_UPDATE_GOLDENS=1 rewrites
 * them after a deliberate change), the values they must carry for a given uImage and flash offset, and the refusals.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEnvImage } from '../src/formats/uboot-env/env.js';
import { FIXTURES, runOurs, tempDir } from './helpers.js';

const LAYOUTS = join(FIXTURES, 'layouts');
const IMAGES = join(LAYOUTS, 'images');
const GOLDEN = join(FIXTURES, 'loader');

function uimg(args: string[], cwd = IMAGES) {
  const r = runOurs('uimg', args, cwd);
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UIMG_UPDATE_GOLDENS || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** The arguments with some flags' values replaced (or the flags added). */
function withFlags(base: string[], extra: string[]): string[] {
  const args = [...base];
  for (let i = 0; i < extra.length; i += 2) {
    const at = args.indexOf(extra[i]!);
    if (at >= 0) args[at + 1] = extra[i + 1]!;
    else args.push(extra[i]!, extra[i + 1]!);
  }
  return args;
}

const AT91 = ['loader', 'at91bootstrap', '--kernel', 'uImage', '--media', 'nand', '--img-address', '0x200000', '--jump-addr', '0x22000000'];

describe('uimg loader at91bootstrap', () => {
  it('v4 fragment from the sound layout', () => {
    const r = uimg(['loader', 'at91bootstrap', '--layout', join(LAYOUTS, 'layout-sound.json')]);
    expect(r.status, r.err).toBe(0);
    golden('at91bootstrap-layout-sound.config', r.out);
  });

  it('carries the values for a given uImage and flash offset', () => {
    const r = uimg([...AT91, '--dtb', 'board.dtb', '--of-offset', '0x180000', '--of-address', '0x21000000', '--cmdline', 'console=ttyS0,115200']);
    expect(r.status, r.err).toBe(0);
    golden('at91bootstrap-v4.config', r.out);
    for (const line of ['CONFIG_LOAD_LINUX=y', 'CONFIG_NANDFLASH=y', 'CONFIG_IMG_ADDRESS="0x00200000"', 'CONFIG_JUMP_ADDR="0x22000000"',
      'CONFIG_OF_LIBFDT=y', 'CONFIG_OF_OFFSET="0x00180000"', 'CONFIG_OF_ADDRESS="0x21000000"', 'CONFIG_OVERRIDE_CMDLINE=y',
      'CONFIG_LINUX_KERNEL_ARG_STRING="console=ttyS0,115200"']) {
      expect(r.out.split('\n')).toContain(line);
    }
    expect(r.out).toMatch(/its 20480 data bytes are copied to 0x20008000; entry 0x20008000/);
  });

  it('--v3 uses the legacy names', () => {
    const r = uimg([...AT91, '--v3', '--ram-base', '0x20000000', '--ram-size', '128MiB', '--cmdline', 'console=ttyS0,115200 root="/dev/mtdblock3"']);
    expect(r.status, r.err).toBe(0);
    golden('at91bootstrap-v3.config', r.out);
    expect(r.out).toMatch(/^CONFIG_LINUX_UIMAGE=y$/m);
    expect(r.out).toMatch(/^CONFIG_MEM_BANK="0x20000000"$/m);
    expect(r.out).toMatch(/^CONFIG_MEM_SIZE="0x08000000"$/m);
    expect(r.out).toMatch(/^CONFIG_LINUX_KERNEL_ARG_STRING="console=ttyS0,115200 root=\\"\/dev\/mtdblock3\\""$/m);
    expect(r.out).not.toMatch(/OVERRIDE_CMDLINE/);
  });

  it('--v3 without RAM keeps the board\'s MEM_BANK and MEM_SIZE and says so', () => {
    const r = uimg([...AT91, '--v3', '-o', '-']);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^CONFIG_LINUX_UIMAGE=y$/m);
    expect(r.out).not.toMatch(/^CONFIG_MEM_BANK/m);
    expect(r.out).toMatch(/^# MEM_BANK and MEM_SIZE keep the board's defaults/m);
  });

  it('boots a zImage where it is read (v3 LINUX_ZIMAGE), from QSPI, from SD by name', () => {
    const z = uimg(['loader', 'at91bootstrap', '--kernel', 'zImage', '--media', 'qspi', '--img-address', '0x200000', '--jump-addr', '0x22000000']);
    expect(z.status, z.err).toBe(0);
    golden('at91bootstrap-zimage-qspi.config', z.out);
    expect(z.out).toMatch(/^CONFIG_DATAFLASH=y\nCONFIG_QSPI=y$/m);
    expect(z.out).toMatch(/decompressed kernel \+ page tables: 0x20004000, 4\.3 MiB/);
    const v3 = uimg(['loader', 'at91bootstrap', '--kernel', 'zImage', '--media', 'nand', '--img-address', '0', '--jump-addr', '0x22000000', '--v3', '--ram-base', '0x20000000', '--ram-size', '64M']);
    expect(v3.out).toMatch(/^CONFIG_LINUX_ZIMAGE=y$/m);
    const sd = uimg(['loader', 'at91bootstrap', '--kernel', 'zImage', '--media', 'sd', '--jump-addr', '0x22000000']);
    expect(sd.out).toMatch(/^CONFIG_SDCARD=y$/m);
    expect(sd.out).toMatch(/^CONFIG_IMAGE_NAME="zImage"$/m);
    expect(sd.out).not.toMatch(/IMG_ADDRESS/);
  });

  it.each([
    ['a compressed uImage', ['--kernel', 'uImage.gz'], /uImage\.gz: AT91Bootstrap cannot boot this uImage: it is gzip-compressed; it copies the data to the load address and jumps to it, it does not decompress \(hint: wrap the kernel uncompressed/],
    ['a staging address overlapping the load range', ['--jump-addr', '0x20006000'], /AT91Bootstrap: uImage \(staging copy\) \[0x20006000, 0x2000b040\) overlaps kernel \(ih_load\) \[0x20008000, 0x2000d000\) \(hint: read the image somewhere else/],
    ['a staging copy that ends inside the load range', ['--jump-addr', '0x20004000'], /overlaps kernel \(ih_load\)/],
    ['a DTB where the zImage decompresses', ['--dtb', 'board.dtb', '--of-offset', '0x180000', '--of-address', '0x20100000'], /DTB \+ fixup room \[0x20100000, 0x2010314d\) overlaps|overlaps DTB \+ fixup room/],
    ['a kernel outside RAM', ['--ram-base', '0x30000000', '--ram-size', '64M'], /runs outside RAM \[0x30000000, 0x34000000\)/],
    ['a command line AT91Bootstrap cannot hold', ['--cmdline', 'x'.repeat(247)], /AT91Bootstrap refuses a command line over 246 bytes/],
    ['an arm64-style file it cannot boot', ['--kernel', 'board.dtb'], /board\.dtb: not a kernel: no uImage, ARM zImage/],
  ])('refuses %s with a clear error and no output', (_what, extra, message) => {
    const r = uimg(withFlags(AT91, extra));
    expect(r.status).toBe(4);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err.split('\n').length).toBe(2);
  });

  it.each([
    ['an IMG_ADDRESS inside a NAND page (default 2048)', ['--img-address', '0x200001'], /--img-address 0x00200001 is not a multiple of the NAND page size \(2048 bytes, the default\) \(hint: NAND is read in whole pages: use 0x00200000 or 0x00200800, or give the chip's page size with --page-size/],
    ['an IMG_ADDRESS inside a --page-size page', ['--img-address', '0x200200', '--page-size', '4096'], /--img-address 0x00200200 is not a multiple of the NAND page size \(4096 bytes\)/],
    ['an OF_OFFSET inside a NAND page', ['--dtb', 'board.dtb', '--of-offset', '0x180100', '--of-address', '0x21000000'], /--of-offset 0x00180100 is not a multiple of the NAND page size/],
    ['a JUMP_ADDR ARM cannot run at', ['--jump-addr', '0x22000002'], /--jump-addr 0x22000002 is not 4-byte aligned/],
  ])('refuses %s (exit 2, no output)', (_what, extra, message) => {
    const r = uimg([...withFlags(AT91, extra), '-o', 'never.config']);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(join(IMAGES, 'never.config'))).toBe(false);
  });

  it('page alignment is NAND\'s: a smaller --page-size, or NOR, takes the same offset', () => {
    expect(uimg(withFlags(AT91, ['--img-address', '0x200200', '--page-size', '512'])).status).toBe(0);
    expect(uimg(withFlags(AT91, ['--img-address', '0x200201', '--media', 'nor'])).status).toBe(0);
  });

  it('c-header checks IMG_ADDRESS against the NAND page of --page-size or a NAND layout', () => {
    const flag = uimg(['loader', 'c-header', '--kernel', 'uImage', '--img-address', '0x200001', '--page-size', '2048']);
    expect(flag.status).toBe(2);
    expect(flag.err).toMatch(/--img-address 0x00200001 is not a multiple of the NAND page size \(2048 bytes\)/);
    const layout = uimg(['loader', 'c-header', '--layout', join(LAYOUTS, 'layout-sound.json'), '--img-address', '0x80100']);
    expect(layout.status).toBe(2);
    expect(layout.err).toMatch(/--img-address 0x00080100 is not a multiple of the NAND page size \(512 bytes\)/);
    expect(uimg(['loader', 'c-header', '--kernel', 'uImage', '--img-address', '0x200001']).status).toBe(0);
  });

  it('says what is missing without a layout', () => {
    const r = uimg(['loader', 'at91bootstrap', '--kernel', 'uImage', '--media', 'nand', '--jump-addr', '0x22000000']);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/--img-address is missing \(hint: give --img-address, or a --layout with a kernel partition\)/);
  });
});

describe('uimg loader c-header', () => {
  it('the acceptance spelling', () => {
    const r = uimg(['loader', 'c-header', '--kernel', 'uImage', '--img-address', '0x200000']);
    expect(r.status, r.err).toBe(0);
    golden('c-header-minimal.h', r.out);
    expect(r.out).toMatch(/^#define IMG_ADDRESS +0x00200000u$/m);
    expect(r.out).toMatch(/^#define IMG_SIZE +0x00005040u$/m);
    expect(r.out).toMatch(/^#define LOAD_ADDR +0x20008000u$/m);
    expect(r.out).toMatch(/^#define JUMP_ADDR +0x20008000u$/m);
  });

  it('from the sound layout, with staging, DTB and RAM', () => {
    const r = uimg(['loader', 'c-header', '--layout', join(LAYOUTS, 'layout-sound.json'), '--staging-addr', '0x22000000', '--prefix', 'K_']);
    expect(r.status, r.err).toBe(0);
    golden('c-header-layout-sound.h', r.out);
    expect(r.out).toMatch(/^#define K_DTB_ADDRESS +0x21000000u$/m);
  });

  it.each([
    ['a compressed uImage', ['--kernel', 'uImage.gz'], /the uImage is gzip-compressed: a loader that copies its data to the load address cannot run it/],
    ['a raw zImage', ['--kernel', 'zImage'], /cannot boot an ARM zImage/],
    ['an overlapping staging address', ['--staging-addr', '0x20008010'], /first-stage loader: uImage \(staging copy\) .* overlaps kernel \(ih_load\)/],
    ['a macro prefix that is not C', ['--prefix', '1X'], /macro prefix '1X' is not a C identifier/],
  ])('refuses %s', (_what, extra, message) => {
    const r = uimg(withFlags(['loader', 'c-header', '--kernel', 'uImage', '--img-address', '0x200000'], extra));
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(message);
  });
});

describe('uimg layout map', () => {
  it.each(['layout-sound', 'layout-overlap', 'layout-misaligned'])('%s: text and SVG', (name) => {
    const text = uimg(['layout', 'map', `${name}.json`], LAYOUTS);
    expect(text.status, text.err).toBe(0);
    golden(`${name}.map.txt`, text.out);
    const svg = uimg(['layout', 'map', `${name}.json`, '--svg', '-'], LAYOUTS);
    expect(svg.status, svg.err).toBe(0);
    expect(svg.out).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^]*<\/svg>\n$/);
    golden(`${name}.svg`, svg.out);
  });

  it('marks what a finding is about', () => {
    const svg = readFileSync(join(GOLDEN, 'layout-overlap.svg'), 'utf8');
    expect(svg.match(/class="box [a-z]+ error"/g)).toHaveLength(2);
    expect(readFileSync(join(GOLDEN, 'layout-sound.svg'), 'utf8')).not.toMatch(/ error"/);
  });
});

describe('uimg loader spl-falcon and uboot-env --layout', () => {
  it('spl-falcon for the sound layout (NAND)', () => {
    const r = uimg(['loader', 'spl-falcon', '--layout', 'layout-sound.json'], LAYOUTS);
    expect(r.status, r.err).toBe(0);
    golden('spl-falcon-layout-sound.config', r.out);
    expect(r.out).toMatch(/^CONFIG_SYS_NAND_SPL_KERNEL_OFFS=0x00080000$/m);
    expect(r.out).toMatch(/^CONFIG_CMD_SPL_NAND_OFS=0x00040000$/m);
    expect(r.out).toMatch(/^CONFIG_SPL_PAYLOAD_ARGS_ADDR=0x21000000$/m);
  });

  it.each([
    ['mmc', { kind: 'mmc', size: '64MiB' }, [/^CONFIG_SPL_FALCON_BOOT_MMCSD=y$/m, /^CONFIG_SYS_MMCSD_RAW_MODE_KERNEL_SECTOR=0x00000400$/m, /^CONFIG_SYS_MMCSD_RAW_MODE_ARGS_SECTOR=0x00000200$/m, /^CONFIG_SYS_MMCSD_RAW_MODE_ARGS_SECTORS=0x00000019$/m]],
    ['qspi', { kind: 'qspi', size: '64MiB', eraseBlockSize: '64KiB' }, [/^#define CFG_SYS_SPI_KERNEL_OFFS 0x00080000$/m, /^#define CFG_SYS_SPI_ARGS_SIZE 0x0000314d$/m]],
    ['nor', { kind: 'nor', size: '64MiB', eraseBlockSize: '64KiB', mapBase: '0x10000000' }, [/^CONFIG_SYS_OS_BASE=0x10080000$/m, /^CONFIG_CMD_SPL_NOR_OFS=0x10040000$/m]],
  ])('spl-falcon from %s', (_kind, flash, expected) => {
    const dir = tempDir();
    const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
    layout.flash = flash;
    for (const p of Object.values(layout.images) as { file: string }[]) p.file = join(LAYOUTS, p.file);
    writeFileSync(join(dir, 'l.json'), JSON.stringify(layout));
    const r = uimg(['loader', 'spl-falcon', '--layout', 'l.json'], dir);
    expect(r.status, r.err).toBe(0);
    for (const e of expected) expect(r.out).toMatch(e);
  });

  it('spl-falcon refuses a kernel SPL cannot boot', () => {
    const dir = tempDir();
    const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
    layout.images.kernel.file = join(LAYOUTS, 'images', 'zImage');
    for (const role of ['dtb', 'bootstrap']) layout.images[role].file = join(LAYOUTS, layout.images[role].file);
    writeFileSync(join(dir, 'l.json'), JSON.stringify(layout));
    const r = uimg(['loader', 'spl-falcon', '--layout', 'l.json'], dir);
    expect(r.status).toBe(4);
    expect(r.err).toMatch(/spl-falcon cannot boot an ARM zImage: SPL falcon mode boots a legacy uImage/);
  });

  it('uboot-env text from the sound layout, and its binary', () => {
    const r = uimg(['loader', 'uboot-env', '--layout', 'layout-sound.json'], LAYOUTS);
    expect(r.status, r.err).toBe(0);
    golden('uboot-env-layout-sound.txt', r.out);
    expect(r.out).toMatch(/^bootcmd=nand read \$\{kernel_addr_r\} 0x00080000 0x00005200; nand read \$\{fdt_addr_r\} 0x00040000 0x00000200; bootm \$\{kernel_addr_r\} - \$\{fdt_addr_r\}$/m);
    expect(r.out).toMatch(/^mtdparts=mtdparts=atmel_nand:64k\(bootstrap\)ro,32k@0x00040000\(dtb\),64k@0x00080000\(kernel\),-\(rootfs\)$/m);
    const bin = runOurs('uimg', ['loader', 'uboot-env', '--layout', 'layout-sound.json', '--env-size', '0x2000', '-o', '-'], LAYOUTS);
    expect(bin.status).toBe(0);
    const env = decodeEnvImage(new Uint8Array(bin.stdout));
    expect(env.crcOk).toBe(true);
    expect(Object.fromEntries(env.vars).kernel_addr_r).toBe('0x22000000');
  });

  it('uboot-env boots a raw zImage with bootz, from SD sectors', () => {
    const dir = tempDir();
    const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
    layout.flash = { kind: 'sd', size: '64MiB' };
    layout.images.kernel.file = join(LAYOUTS, 'images', 'zImage');
    for (const role of ['dtb', 'bootstrap']) layout.images[role].file = join(LAYOUTS, layout.images[role].file);
    writeFileSync(join(dir, 'l.json'), JSON.stringify(layout));
    const r = uimg(['loader', 'uboot-env', '--layout', 'l.json'], dir);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^bootcmd=mmc dev 0; mmc read \$\{kernel_addr_r\} 0x00000400 0x00000028; mmc read \$\{fdt_addr_r\} 0x00000200 0x00000001; bootz \$\{kernel_addr_r\} - \$\{fdt_addr_r\}$/m);
    expect(r.out).not.toMatch(/mtdparts/);
  });
});

describe('-q/--quiet, as create and romimage take it', () => {
  const sound = join(LAYOUTS, 'layout-sound.json');
  it.each([
    ['loader', 'at91bootstrap', '--layout', sound, '-o', 'at91.config'],
    ['loader', 'c-header', '--layout', sound, '-o', 'boot.h'],
    ['loader', 'spl-falcon', '--layout', sound, '-o', 'falcon.txt'],
    ['loader', 'uboot-env', '--layout', sound, '--env-size', '0x2000', '-o', 'env.bin'],
    ['loader', 'kexec', '--arch', 'arm', '--kernel', join(IMAGES, 'zImage'), '--media', '/dev/mmcblk0p1', '-o', 'kit'],
    ['kexec', 'kit', '--arch', 'arm', '--kernel', join(IMAGES, 'zImage'), '--media', '/dev/mmcblk0p1', '-o', 'kit2'],
  ])('%s %s: accepted, and nothing printed', (...args) => {
    const dir = tempDir();
    for (const quiet of ['-q', '--quiet']) {
      const r = uimg([...args, quiet], dir);
      expect(r.status, r.err).toBe(0);
      expect(r.out + r.err).toBe('');
    }
  });
});
