// The kexec bootloader kit (golden outputs, shell syntax, list round trip) and kexec plan (placement per
// kexec-tools 2.0.25, the kernel's segment checks as findings that fire and stay quiet).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes, memorySink } from '../src/bytes/source.js';
import { formatCpioList, parseCpioList } from '../src/formats/cpio/list.js';
import { readCpio } from '../src/formats/cpio/read.js';
import { writeCpio } from '../src/formats/cpio/write.js';
import { kernelConfigFragment, kernelConfigSettings, type KernelConfigOptions } from '../src/kexec/kconfig.js';
import { kexecCpioSpecs, kexecInit, kexecbootConfig, petitbootConfig, type KexecKit } from '../src/kexec/kit.js';
import { armDtbLength, arm64DtbSize, planKexec } from '../src/kexec/plan.js';
import { checkSegments, locateHole, type Segment } from '../src/kexec/segments.js';
import { kexecUImageRefusal } from '../src/kexec/uimage.js';
import { debianArm64Image, debianArmmpZImage, debianVexpressDtb } from './debian-files.js';
import { FIXTURES, hasTool, runOurs, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const GOLDEN = join(FIXTURES, 'kexec');
const UPDATE = process.env.UIMG_UPDATE_GOLDENS === '1';

/** Compare with the golden file; UIMG_UPDATE_GOLDENS=1 rewrites it (then review the diff). */
function golden(name: string, text: string): void {
  const path = join(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

const ARM_KIT: KexecKit = {
  arch: 'arm',
  entry: { label: 'debian', kernel: '/boot/zImage', dtb: '/boot/board.dtb', initrd: '/boot/initrd.gz', append: "console=ttyS0,115200 root=/dev/mmcblk0p2 rootwait quiet it's" },
  media: ['/dev/mmcblk0p1', 'LABEL=boot'],
  waitSeconds: 10,
  files: { init: 'init', busybox: 'busybox', kexec: 'kexec', libs: [{ name: '/lib/arm-linux-gnueabihf/libc.so.6', location: 'sysroot/libc.so.6' }] },
};

const config = (o: Partial<KernelConfigOptions>): KernelConfigOptions => ({
  arch: 'arm', profile: 'M', linux: { major: 6, minor: 1 }, cmdline: 'console=ttyS0,115200', cmdlineMode: 'bootloader',
  initramfsSource: '/build/kit/initramfs.list', initramfsCompression: 'xz', ...o,
});

describe('kexec kit emitters (golden outputs in fixtures/kexec)', () => {
  it('/init', () => golden('init.arm', kexecInit(ARM_KIT)));
  it('/init without DTB or initrd (x86)', () => golden('init.x86', kexecInit({ ...ARM_KIT, arch: 'x86', entry: { label: 'pc', kernel: '/boot/bzImage', append: 'root=/dev/sda2' }, media: ['UUID=1234-ABCD'] })));
  it('gen_init_cpio list', () => golden('initramfs.list', formatCpioList(kexecCpioSpecs(ARM_KIT))));
  it.each([
    ['kexec.arm-L.config', config({ profile: 'L', initramfsCompression: 'gzip', cmdline: '' })],
    ['kexec.arm-M.config', config({})],
    ['kexec.arm-S-6.1.config', config({ profile: 'S', cmdlineMode: 'force' })],
    ['kexec.arm-S-6.6.config', config({ profile: 'S', linux: { major: 6, minor: 6 }, cmdlineMode: 'extend' })],
    ['kexec.arm64-S-6.6.config', config({ arch: 'arm64', profile: 'S', linux: { major: 6, minor: 6 }, cmdlineMode: 'force', initramfsCompression: 'zstd' })],
    ['kexec.x86-M.config', config({ arch: 'x86', cmdlineMode: 'extend', initramfsCompression: 'none' })],
  ])('kernel config fragment %s', (name, o) => golden(name, kernelConfigFragment(o)));
  it('kexecboot boot.cfg', () => golden('boot.cfg', kexecbootConfig([ARM_KIT.entry, { label: 'rescue', kernel: '/boot/zImage.old', append: 'console=ttyS0,115200' }], { timeout: 3 })));
  it('petitboot kboot.conf', () => golden('kboot.conf', petitbootConfig([{ ...ARM_KIT.entry, append: 'console=ttyS0,115200 root=/dev/mmcblk0p2 rootwait' }, { label: 'rescue', kernel: '/boot/zImage.old', append: 'console=ttyS0,115200' }], { timeout: 3 })));
});

describe('kexec kit: what the files must satisfy', () => {
  it('/init is valid sh (dash here, and busybox sh where installed)', () => {
    const dir = tempDir('uimg-kit-');
    writeFileSync(join(dir, 'init'), kexecInit(ARM_KIT));
    for (const sh of [['sh', '-n'], ...(hasTool('busybox') ? [['busybox', 'sh', '-n']] : [])]) {
      const r = spawnSync(sh[0]!, [...sh.slice(1), join(dir, 'init')]);
      expect(r.stderr.toString()).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('/init quotes the command line so the shell expands nothing in it', () => {
    const text = kexecInit({ ...ARM_KIT, entry: { ...ARM_KIT.entry, append: 'a=$(reboot) `x` "q" \\ it\'s' } });
    const dir = tempDir('uimg-kit-');
    writeFileSync(join(dir, 'print.sh'), `${text.split('\n').find((l) => l.startsWith('APPEND='))}\nprintf %s "$APPEND"\n`);
    expect(spawnSync('sh', [join(dir, 'print.sh')]).stdout.toString()).toBe('a=$(reboot) `x` "q" \\ it\'s');
  });

  it('refuses what cannot be written safely', () => {
    const bad = (patch: Partial<KexecKit>, re: RegExp) => expect(() => kexecInit({ ...ARM_KIT, ...patch })).toThrow(re);
    bad({ entry: { ...ARM_KIT.entry, kernel: 'boot/zImage' } }, /kernel 'boot\/zImage' is not an absolute path/);
    bad({ entry: { ...ARM_KIT.entry, kernel: '/boot/$(x)' } }, /not an absolute path/);
    bad({ arch: 'x86' }, /dtb '\/boot\/board.dtb' is not usable on x86/);
    bad({ media: [] }, /no boot media/);
    bad({ media: ['/dev/sda1; reboot'] }, /media/);
    bad({ waitSeconds: 0 }, /wait/);
    expect(() => kexecbootConfig([{ ...ARM_KIT.entry, append: 'x'.repeat(300) }], { timeout: 1 })).toThrow(/at most 255/);
    expect(() => petitbootConfig([{ ...ARM_KIT.entry, label: 'two words', append: '' }], { timeout: 1 })).toThrow(/kboot.conf name/);
    expect(() => petitbootConfig([ARM_KIT.entry], { timeout: 1 })).toThrow(/free of single quotes/);
  });

  it('the list builds an archive whose /init is the script and whose applets point at busybox', async () => {
    const specs = parseCpioList(formatCpioList(kexecCpioSpecs(ARM_KIT)));
    const data: Record<string, string> = { init: kexecInit(ARM_KIT), busybox: 'BB', kexec: 'KX', 'sysroot/libc.so.6': 'LIBC' };
    const sink = memorySink();
    await writeCpio(specs, async (s) => ({ content: fromBytes(new TextEncoder().encode(data[s.location]!)) }), sink, { mtime: 0 });
    const listing = await readCpio(fromBytes(sink.bytes()));
    expect(listing.findings).toEqual([]);
    const names = listing.entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['init', 'dev/console', 'bin/busybox', 'sbin/kexec', 'lib/arm-linux-gnueabihf/libc.so.6', 'lib/arm-linux-gnueabihf']));
    expect(names.indexOf('lib')).toBeLessThan(names.indexOf('lib/arm-linux-gnueabihf/libc.so.6'));
    for (const applet of ['sh', 'mount', 'umount', 'findfs', 'sleep']) expect(listing.entries.find((e) => e.name === `bin/${applet}`)?.target).toBe('busybox');
    // The programs /init runs are there: busybox applets and kexec.
    for (const cmd of ['mount', 'umount', 'mkdir', 'sleep', 'findfs', 'setsid', 'cttyhack']) {
      expect(kexecInit(ARM_KIT)).toMatch(new RegExp(`\\b${cmd}\\b`));
      expect(names).toContain(`bin/${cmd}`);
    }
  });
});

describe('kernel config fragment', () => {
  const options = (o: Partial<KernelConfigOptions>) => kernelConfigSettings(config(o)).map((s) => `${s.option}=${s.value}`);

  it('maps the tiny allocator to the target version: SLOB until 6.1, SLUB_TINY from 6.2', () => {
    expect(options({ profile: 'S' })).toContain('SLOB=y');
    expect(options({ profile: 'S', linux: { major: 6, minor: 2 } })).toEqual(expect.arrayContaining(['SLUB=y', 'SLUB_TINY=y']));
    expect(options({ profile: 'S', linux: { major: 6, minor: 2 } })).not.toContain('SLOB=y');
    expect(options({ profile: 'M' }).some((s) => /^SL[OU]B/.test(s))).toBe(false);
  });

  it('gets TINY_RCU through !SMP and PREEMPT_NONE (it cannot be set), except on always-SMP arm64', () => {
    expect(options({ profile: 'S' })).toEqual(expect.arrayContaining(['SMP=n', 'PREEMPT_NONE=y']));
    expect(options({ profile: 'S', arch: 'arm64' })).not.toContain('SMP=n');
    expect(options({ profile: 'S' }).some((s) => s.startsWith('TINY_RCU'))).toBe(false);
  });

  it('ARM with SMP keeps what its KEXEC depends on; every fragment has KEXEC, the initramfs and devtmpfs', () => {
    expect(options({ profile: 'M' })).toEqual(expect.arrayContaining(['HOTPLUG_CPU=y', 'SUSPEND=y']));
    for (const arch of ['arm', 'arm64', 'riscv', 'x86', 'sh'] as const) {
      for (const profile of ['L', 'M', 'S'] as const) {
        const o = options({ arch, profile, cmdlineMode: 'force' });
        expect(o).toEqual(expect.arrayContaining(['KEXEC=y', 'BLK_DEV_INITRD=y', 'DEVTMPFS=y', 'INITRAMFS_SOURCE=/build/kit/initramfs.list', 'RD_XZ=y', 'INITRAMFS_COMPRESSION_XZ=y']));
        expect(new Set(o.map((s) => s.split('=')[0])).size).toBe(o.length); // each option once
      }
    }
  });

  it('spells the built-in command line per arch and refuses choices an arch lacks', () => {
    expect(options({ arch: 'arm', cmdlineMode: 'extend' })).toEqual(expect.arrayContaining(['CMDLINE=console=ttyS0,115200', 'CMDLINE_EXTEND=y']));
    expect(options({ arch: 'riscv', cmdlineMode: 'bootloader' })).toContain('CMDLINE_FALLBACK=y');
    expect(options({ arch: 'x86', cmdlineMode: 'force' })).toEqual(expect.arrayContaining(['CMDLINE_BOOL=y', 'CMDLINE_OVERRIDE=y']));
    expect(options({ arch: 'sh', cmdlineMode: 'force' })).toContain('CMDLINE_OVERWRITE=y');
    expect(() => options({ arch: 'arm64', cmdlineMode: 'extend' })).toThrow(/arm64 has no such choice/);
    expect(() => options({ arch: 'x86', cmdlineMode: 'bootloader' })).toThrow(/x86 has no such choice \(it offers extend, force\)/);
    expect(options({ cmdline: '' }).some((s) => s.startsWith('CMDLINE'))).toBe(false);
    expect(() => options({ linux: { major: 5, minor: 15 } })).toThrow(/Linux 6.x/);
    expect(() => options({ cmdline: 'a"b' })).toThrow(/Kconfig string/);
  });
});

function writeUInt32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24; b[at + 1] = (v >>> 16) & 0xff; b[at + 2] = (v >>> 8) & 0xff; b[at + 3] = v & 0xff;
}

/** A minimal FDT: an empty root, optionally with /chosen holding bootargs. */
function fdt(chosenBootargs?: string): Uint8Array {
  const strings = chosenBootargs !== undefined ? 'bootargs\0' : '';
  const words: number[] = [1, 0]; // BEGIN_NODE ""
  if (chosenBootargs !== undefined) {
    words.push(1, ...nameWords('chosen'));
    const v = new TextEncoder().encode(chosenBootargs + '\0');
    words.push(3, v.length, 0, ...bytesWords(v), 2);
  }
  words.push(2, 9);
  const struct = words.length * 4;
  const offRsv = 40;
  const offStruct = offRsv + 16;
  const offStrings = offStruct + struct;
  const total = offStrings + strings.length;
  const b = new Uint8Array(total);
  const h = [0xd00dfeed, total, offStruct, offStrings, offRsv, 17, 16, 0, strings.length, struct];
  h.forEach((w, i) => writeUInt32(b, i * 4, w));
  words.forEach((w, i) => writeUInt32(b, offStruct + i * 4, w));
  b.set(new TextEncoder().encode(strings), offStrings);
  return b;
}
function bytesWords(v: Uint8Array): number[] {
  const padded = new Uint8Array(Math.ceil(v.length / 4) * 4);
  padded.set(v);
  return Array.from({ length: padded.length / 4 }, (_, i) => (padded[i * 4]! << 24 | padded[i * 4 + 1]! << 16 | padded[i * 4 + 2]! << 8 | padded[i * 4 + 3]!) >>> 0);
}
const nameWords = (s: string) => bytesWords(new TextEncoder().encode(s + '\0'));

/** A synthetic little-endian zImage: magic, start 0, end = length, and optionally a 6.1-style size tag. */
function zimage(length: number, tag?: { edata: number; bss: number; textOffset: number }): Uint8Array {
  const b = new Uint8Array(length);
  writeLE(b, 0x24, 0x016f2818);
  writeLE(b, 0x28, 0);
  writeLE(b, 0x2c, length);
  writeLE(b, 0x30, 0x04030201);
  if (tag) {
    writeLE(b, 0x34, 0x45454545);
    writeLE(b, 0x38, 0x40);
    [6, 0x5a534c4b, length - 4, tag.bss, tag.textOffset, 0x10000, 0].forEach((w, i) => writeLE(b, 0x40 + i * 4, w));
    writeLE(b, length - 4, tag.edata);
  }
  return b;
}
function writeLE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff; b[at + 1] = (v >>> 8) & 0xff; b[at + 2] = (v >>> 16) & 0xff; b[at + 3] = v >>> 24;
}
/** A synthetic arm64 Image header. */
function arm64Image(size: number, textOffset: number, imageSize: number): Uint8Array {
  const b = new Uint8Array(size);
  writeLE(b, 8, textOffset);
  writeLE(b, 16, imageSize);
  writeLE(b, 24, 0xa);
  writeLE(b, 0x38, 0x644d5241);
  return b;
}

const RAM = { base: 0x40000000, size: 256 << 20 };
const rules = (fs: { rule: string }[]) => fs.map((f) => f.rule);

describe('which uImages kexec-tools loads (shared by kexec plan, inspect and layout check)', () => {
  const linuxArm = { type: 2, os: 5, arch: 2, comp: 0 };
  it('a Linux kernel (or kernel_noload) uImage for an architecture with a uImage probe, uncompressed or gzip', () => {
    for (const h of [linuxArm, { ...linuxArm, type: 14 }, { ...linuxArm, comp: 1 }, { ...linuxArm, arch: 22 }, { ...linuxArm, arch: 9 }, { ...linuxArm, arch: 7 }]) {
      expect(kexecUImageRefusal(h)).toBeUndefined();
    }
  });
  it('refuses other types, OSes, architectures and compressions, saying which', () => {
    expect(kexecUImageRefusal({ ...linuxArm, type: 3 })).toBe('type ramdisk (kernel or kernel_noload only)');
    expect(kexecUImageRefusal({ ...linuxArm, os: 17 })).toBe('OS U-Boot (Linux only)');
    expect(kexecUImageRefusal({ ...linuxArm, arch: 26 })).toBe('no uImage loader for RISC-V');
    expect(kexecUImageRefusal({ ...linuxArm, comp: 3 })).toBe('lzma compression (none or gzip only)');
  });
  it('kexec plan refuses what kexec-tools refuses, and (its own limit) a gzip uImage it would have to decompress', async () => {
    const { encodeHeader } = await import('../src/formats/uimage/header.js');
    const wrap = (h: Partial<typeof linuxArm>) => {
      const u = new Uint8Array(64 + 0x1000);
      u.set(encodeHeader({ time: 0, dataSize: 0x1000, load: 0, entry: 0, dataCrc: 0, nameBytes: new Uint8Array(32), ...linuxArm, ...h }));
      return fromBytes(u);
    };
    await expect(planKexec({ kernel: wrap({ type: 3 }), ram: RAM })).rejects.toThrow(/kernel or kernel_noload only/);
    await expect(planKexec({ kernel: wrap({ comp: 1 }), ram: RAM })).rejects.toThrow(/planned only for uncompressed/);
  });
});

describe('kexec plan: placement as kexec-tools 2.0.25 does it', () => {
  it('ARM zImage with size tag: kernel at hole+0x8000, initrd above the image size, DTB a page past the initrd', async () => {
    const plan = await planKexec({ kernel: fromBytes(zimage(0x100000, { edata: 0x400000, bss: 0x40000, textOffset: 0x8000 })), dtb: fdt(), initrd: { size: 0x12345 }, cmdline: 'console=ttyAMA0', ram: RAM });
    // image size = max(edata + bss, edata + len + 0x11000) = 0x511000
    expect(plan.segments.map((s) => [s.name, s.mem, s.memsz, s.bufsz])).toEqual([
      ['kernel', 0x40008000, 0x101000, 0x100000],
      ['initrd', 0x40519000, 0x13000, 0x12345],
      ['dtb', 0x4052c000, 0x1000, armDtbLength(fdt(), 'console=ttyAMA0', true)],
    ]);
    expect(plan.entry).toBe(0x40008000);
    expect(plan.registers).toEqual({ r0: 0, r2: 0x4052c000 });
    expect(plan.findings).toEqual([]);
  });

  it('ARM zImage without a size tag guesses 5 x (length + 0x11000); a uImage is unwrapped (buf offset 64)', async () => {
    const z = zimage(0x10000);
    const { encodeHeader } = await import('../src/formats/uimage/header.js');
    const h = encodeHeader({ time: 0, dataSize: z.length, load: 0, entry: 0, dataCrc: 0, os: 5, arch: 2, type: 2, comp: 0, nameBytes: new Uint8Array(32) });
    const u = new Uint8Array(64 + z.length);
    u.set(h);
    u.set(z, 64);
    const plan = await planKexec({ kernel: fromBytes(u), dtb: fdt(), initrd: { size: 1 }, ram: RAM });
    expect(plan.kernelFormat).toBe('uImage wrapping zImage');
    expect(plan.segments.find((s) => s.name === 'kernel')!.source).toEqual({ file: 'kernel', offset: 64 });
    expect(plan.segments.find((s) => s.name === 'initrd')!.mem).toBe(0x40008000 + 5 * (0x10000 + 0x11000));
  });

  it('DTB growth: bootargs and initrd properties added (ARM, unpacked) or repacked (arm64)', () => {
    const bare = fdt();
    // No /chosen: node (16) + bootargs (9 + 12 + 4) + two initrd props (19+12+4, 17+12+4)
    expect(armDtbLength(bare, 'abc', true) - bare.length).toBe(16 + 25 + 35 + 33);
    const chosen = fdt('a longer old line');
    expect(armDtbLength(chosen, 'short', false)).toBe(chosen.length); // existing, long enough: no growth
    // arm64: packed; bootargs reused from the strings block; 8-byte initrd values.
    expect(arm64DtbSize(chosen, 'x'.repeat(40), true)).toBe(chosen.length + (44 - 20) + 2 * (12 + 8) + 'linux,initrd-start\0linux,initrd-end\0'.length);
  });

  it('arm64 Image: 2 MiB-aligned hole + text_offset, memsz image_size; initrd, DTB, purgatory above it; entry in purgatory', async () => {
    const plan = await planKexec({ kernel: fromBytes(arm64Image(0x300000, 0x80000, 0x400000)), dtb: fdt(), initrd: { size: 0x2000 }, ram: { base: 0x40100000, size: 256 << 20 } });
    expect(plan.segments.map((s) => [s.name, s.mem, s.memsz])).toEqual([
      ['kernel', 0x40280000, 0x400000], ['initrd', 0x40680000, 0x2000], ['dtb', 0x40682000, 0x1000], ['purgatory', 0x40683000, 0x4000],
    ]);
    expect(plan.entry).toBe(0x40683000);
    expect(plan.entryExact).toBe(false);
  });

  it('arm64 Image before 3.17 (image_size 0): text_offset 0x80000 and 16 MiB assumed', async () => {
    const plan = await planKexec({ kernel: fromBytes(arm64Image(0x300000, 0x12345, 0)), dtb: fdt(), ram: { base: 0x40000000, size: 256 << 20 } });
    expect(plan.segments[0]).toMatchObject({ name: 'kernel', mem: 0x40080000, memsz: 16 << 20 });
    expect(plan.notes[0]).toMatch(/image_size 0/);
  });

  it('needs a DTB, and refuses kernels it cannot plan', async () => {
    await expect(planKexec({ kernel: fromBytes(zimage(0x1000)), ram: RAM })).rejects.toThrow(/needs --dtb/);
    await expect(planKexec({ kernel: fromBytes(new Uint8Array(4096)), dtb: fdt(), ram: RAM })).rejects.toThrow(/not an ARM zImage/);
    await expect(planKexec({ kernel: fromBytes(zimage(0x1000)), dtb: new Uint8Array(64), ram: RAM })).rejects.toThrow(/DTB/);
  });
});

describe('kexec plan findings: each fires, and stays quiet on a sound plan', () => {
  const seg = (name: Segment['name'], mem: number, memsz: number, bufsz = memsz): Segment => ({ name, source: { file: name, offset: 0 }, mem, memsz, bufsz });
  const limits = { pageSize: 4096, destinationLimit: 0xffffffff };
  const sound = [seg('kernel', 0x40008000, 0x1000), seg('dtb', 0x40100000, 0x1000)];

  it('quiet on sound segments', () => expect(checkSegments(sound, RAM, limits)).toEqual([]));
  it('kexec-segments: more than 16', () => expect(rules(checkSegments(Array.from({ length: 17 }, (_, i) => seg('initrd', 0x40000000 + i * 0x1000, 0x1000)), RAM, limits))).toEqual(['kexec-segments']));
  it('kexec-address: unaligned, or past the destination limit', () => {
    expect(rules(checkSegments([seg('dtb', 0x40000800, 0x1000)], RAM, limits))).toEqual(['kexec-address']);
    expect(rules(checkSegments([seg('dtb', 0xfffff000, 0x1000)], { base: 0xf0000000, size: 0x10000000 }, limits))).toEqual(['kexec-address']);
  });
  it('kexec-bufsz', () => expect(rules(checkSegments([seg('dtb', 0x40000000, 0x1000, 0x1001)], RAM, limits))).toEqual(['kexec-bufsz']));
  it('kexec-overlap', () => expect(rules(checkSegments([seg('kernel', 0x40000000, 0x2000), seg('dtb', 0x40001000, 0x1000)], RAM, limits))).toEqual(['kexec-overlap']));
  it('kexec-outside-ram', () => expect(rules(checkSegments([seg('dtb', 0x3ffff000, 0x1000)], RAM, limits))).toEqual(['kexec-outside-ram']));
  it('kexec-half-ram', () => expect(rules(checkSegments([seg('initrd', 0x40000000, 0x8001000)], RAM, limits))).toEqual(['kexec-half-ram']));

  it('kexec-no-room: fires when the initrd does not fit, quiet when it does', async () => {
    const k = zimage(0x100000, { edata: 0x400000, bss: 0, textOffset: 0x8000 });
    const small = await planKexec({ kernel: fromBytes(k), dtb: fdt(), initrd: { size: 12 << 20 }, ram: { base: 0x40000000, size: 16 << 20 } });
    expect(rules(small.findings)).toContain('kexec-no-room');
    const big = await planKexec({ kernel: fromBytes(k), dtb: fdt(), initrd: { size: 12 << 20 }, ram: { base: 0x40000000, size: 64 << 20 } });
    expect(rules(big.findings)).toEqual([]);
  });

  it('kexec-appended-dtb: fires for a zImage with a DTB after end, quiet without', async () => {
    const z = zimage(0x1000);
    const withDtb = new Uint8Array(z.length + fdt().length);
    withDtb.set(z);
    withDtb.set(fdt(), z.length);
    expect(rules((await planKexec({ kernel: fromBytes(withDtb), dtb: fdt(), ram: RAM })).findings)).toEqual(['kexec-appended-dtb']);
    expect((await planKexec({ kernel: fromBytes(z), dtb: fdt(), ram: RAM })).findings).toEqual([]);
  });

  it('kexec-decompress-overlap: fires for a large TEXT_OFFSET with an initrd right after, quiet with --image-size', async () => {
    const k = zimage(0x500000, { edata: 0x1400000, bss: 0x60000, textOffset: 0x208000 });
    const plan = await planKexec({ kernel: fromBytes(k), dtb: fdt(), initrd: { size: 0x300000 }, ram: RAM });
    expect(rules(plan.findings)).toEqual(['kexec-decompress-overlap']);
    const hint = /--image-size (0x[0-9a-f]+)/.exec(plan.findings[0]!.hint!)![1]!;
    const fixed = await planKexec({ kernel: fromBytes(k), dtb: fdt(), initrd: { size: 0x300000 }, ram: RAM, imageSize: Number(hint) });
    expect(fixed.findings).toEqual([]);
    const classic = await planKexec({ kernel: fromBytes(zimage(0x500000, { edata: 0x1400000, bss: 0x60000, textOffset: 0x8000 })), dtb: fdt(), initrd: { size: 0x300000 }, ram: RAM });
    expect(classic.findings).toEqual([]);
  });

  it('locate_hole: lowest fit above min, aligned, around segments already placed', () => {
    expect(locateHole(RAM, [], 0x1000, 0, 0, 4096)).toBe(0x40000000);
    expect(locateHole(RAM, [seg('kernel', 0x40000000, 0x3000)], 0x1000, 0, 0, 4096)).toBe(0x40003000);
    expect(locateHole(RAM, [], 0x1000, 2 << 20, 0x40000001, 4096)).toBe(0x40200000);
    expect(locateHole(RAM, [], RAM.size + 2, 0, 0, 4096)).toBeUndefined();
  });
});

describe('kexec plan on the real Debian kernels', async () => {
  const [armmp, arm64, dtb] = await Promise.all([debianArmmpZImage(), debianArm64Image(), debianVexpressDtb()]);
  const skip = [armmp, arm64, dtb].find((f): f is { skip: string } => typeof f === 'object');
  if (skip) skipped('kexec plan', `the Debian kernels: ${skip.skip}`);

  it.skipIf(skip !== undefined)('armmp zImage: the size tag, TEXT_OFFSET 0x208000, and the initrd the decompressor runs over', async () => {
    const dir = tempDir('uimg-plan-');
    writeFileSync(join(dir, 'initrd'), new Uint8Array(3_000_000));
    const r = runOurs('uimg', ['kexec', 'plan', armmp as string, '--dtb', dtb as string, '--initrd', 'initrd', '--append', 'console=ttyAMA0',
      '--ram-base', '0x40000000', '--ram-size', '256M', '--json'], dir);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout.toString());
    expect(plan.segments.map((s: Segment) => [s.name, s.mem, s.memsz])).toEqual([
      ['kernel', 0x40008000, 0x533000], ['initrd', 0x418ed000, 0x2dd000], ['dtb', 0x41bca000, 0x4000],
    ]);
    expect(plan.findings.map((f: { rule: string }) => f.rule)).toEqual(['kexec-decompress-overlap']);
    expect(plan.findings[0].message).toMatch(/writes the moved zImage at 0x415a9100\.\.0x41aec300 \(the kernel starts at 0x40208000\), over the initrd at 0x418ed000/);
  });

  it.skipIf(skip !== undefined)('arm64 Image: image_size 0x2010000 from the header; too much for 64 MiB of RAM', () => {
    const dir = tempDir('uimg-plan-');
    const ok = runOurs('uimg', ['kexec', 'plan', arm64 as string, '--dtb', dtb as string, '--ram-base', '0x40000000', '--ram-size', '1G'], dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout.toString()).toMatch(/0  kernel +0x01f6dfc0  0x0000000040000000  +0x02010000/);
    const small = runOurs('uimg', ['kexec', 'plan', arm64 as string, '--dtb', dtb as string, '--ram-base', '0x40000000', '--ram-size', '64M'], dir);
    expect(small.status).toBe(4);
    expect(small.stderr.toString()).toMatch(/more than half of RAM/);
  });
});

describe('uimg kexec kit (CLI)', () => {
  it('writes the five files, /init executable, and they match the library', () => {
    const dir = tempDir('uimg-kit-cli-');
    const r = runOurs('uimg', ['kexec', 'kit', '--arch', 'arm', '--kernel', '/boot/zImage', '--dtb', '/boot/board.dtb', '--append', 'console=ttyS0',
      '--media', '/dev/mmcblk0p1', '--profile', 'S', '--lib', '/lib/ld-linux-armhf.so.3=ld.so', '-o', 'kit', '--json'], dir);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString()).files).toEqual(['init', 'initramfs.list', 'kexec.config', 'boot.cfg', 'kboot.conf']);
    expect(statSync(join(dir, 'kit/init')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'kit/initramfs.list'), 'utf8')).toMatch(/^file \/lib\/ld-linux-armhf.so.3 ld.so 0755 0 0$/m);
    expect(readFileSync(join(dir, 'kit/kexec.config'), 'utf8')).toMatch(/^CONFIG_SLOB=y$/m);
  });

  it.each([
    [['--arch', 'x86', '--dtb', '/b.dtb'], 2, /not usable on x86/],
    [['--arch', 'arm', '--lib', 'nope'], 2, /NAME=HOST_PATH/],
    [['--arch', 'arm64', '--cmdline', 'x', '--cmdline-mode', 'extend'], 2, /arm64 has no such choice/],
  ])('refuses %j with exit %i', (extra, code, message) => {
    const dir = tempDir('uimg-kit-cli-');
    const r = runOurs('uimg', ['kexec', 'kit', '--kernel', '/boot/k', '--media', '/dev/sda1', '-o', 'kit', ...extra], dir);
    expect(r.stderr.toString()).toMatch(message);
    expect(r.status).toBe(code);
    expect(existsSync(join(dir, 'kit/init'))).toBe(false);
  });
});

describe('uimg loader kexec and kexec plan --layout (CLI)', () => {
  it('uimg loader kexec is uimg kexec kit: the same files, byte for byte', () => {
    const dir = tempDir('uimg-kit-cli-');
    const args = ['--arch', 'arm64', '--kernel', '/boot/Image', '--media', 'LABEL=boot', '--profile', 'L', '--timeout', '3'];
    expect(runOurs('uimg', ['kexec', 'kit', ...args, '-o', 'a'], dir).status).toBe(0);
    const r = runOurs('uimg', ['loader', 'kexec', ...args, '-o', 'b'], dir);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['init', 'initramfs.list', 'kexec.config', 'boot.cfg', 'kboot.conf']) {
      expect(readFileSync(join(dir, 'b', f), 'utf8'), f).toBe(readFileSync(join(dir, 'a', f), 'utf8'));
    }
  });

  const LAYOUTS = join(FIXTURES, 'layouts');
  const plan = (args: string[], cwd = LAYOUTS) => {
    const r = runOurs('uimg', ['kexec', 'plan', '--json', ...args], cwd);
    return { status: r.status, stderr: r.stderr.toString(), json: JSON.parse(r.stdout.toString()) };
  };

  it('takes RAM, kernel, DTB and command line from the layout: the same plan as with every flag given', () => {
    const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
    const fromLayout = plan(['--layout', 'layout-sound.json']);
    const fromFlags = plan(['images/uImage', '--dtb', 'images/board.dtb', '--ram-base', layout.ram.base, '--ram-size', layout.ram.size, '--append', layout.cmdline]);
    expect([fromLayout.status, fromLayout.stderr]).toEqual([0, '']);
    expect(fromLayout.json.ok).toBe(true);
    expect(fromLayout.json.segments.map((s: { name: string }) => s.name)).toEqual(['kernel', 'dtb']);
    expect(fromLayout.json.segments).toEqual(fromFlags.json.segments);
    expect(fromLayout.json.entry).toBe(fromFlags.json.entry);
    // The DTB grew by the layout's command line in /chosen.
    expect(fromLayout.json.segments[1].bufsz).toBeGreaterThanOrEqual(readFileSync(join(LAYOUTS, 'images/board.dtb')).length + layout.cmdline.length);
  });

  it('a layout whose RAM is too small: kexec-tools finds no room (kexec-no-room), exit 4; flags override the layout', () => {
    const dir = tempDir('uimg-kexec-layout-');
    const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
    for (const image of Object.values(layout.images) as { file: string }[]) image.file = join(LAYOUTS, image.file);
    writeFileSync(join(dir, 'small.json'), JSON.stringify({ ...layout, ram: { base: '0x20000000', size: '4MiB' } }));
    const small = plan(['--layout', 'small.json'], dir);
    expect(small.status).toBe(4);
    expect(small.json.ok).toBe(false);
    expect(small.json.findings.map((f: { rule: string }) => f.rule)).toEqual(['kexec-no-room']);
    const enough = plan(['--layout', 'small.json', '--ram-size', '128M'], dir);
    expect([enough.status, enough.json.findings]).toEqual([0, []]);
  });
});
