// End to end: uImages made by OUR mkimage are checked and booted by real U-Boot
// (Debian u-boot-qemu, qemu_arm) under qemu-system-arm -M virt. Recipe and expected
// console text: /work/shared/reference/boot-in-qemu.md, section A.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQemu, type QemuResult } from './qemu.js';
import { debianArmmpZImage } from '../debian-files.js';
import { hasTool } from '../helpers.js';
import { skipTest, skipped } from '../skip.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const MKIMAGE = join(ROOT, 'bin/mkimage.js');
const UBOOT = '/usr/lib/u-boot/qemu_arm/u-boot.bin';
const QEMU = 'qemu-system-arm';

const MARKER = 'HELLO-UIMAGE';
const IMAGE_ADDR = '0x41000000'; // clear of the kernel's 0x40008000.. copy/decompress area
const PFLASH_SIZE = 64 * 1024 * 1024; // QEMU refuses any other size for a virt flash bank
const ENV_TEXT = [
  'bootdelay=0',
  'bootargs=console=ttyAMA0 panic=-1',
  // The FDT argument is mandatory for Linux; poweroff ends the run when bootm fails.
  `bootcmd=iminfo ${IMAGE_ADDR}; bootm ${IMAGE_ADDR} - \${fdtcontroladdr}; poweroff`,
].join('\n');
// Anything that means U-Boot did not hand over to the image.
const UBOOT_FAILURE = /Bad Data CRC|Bad Header Checksum|Unknown image format|ERROR:|### ERROR/;

const missing = [
  ...[QEMU, 'arm-none-eabi-as', 'arm-none-eabi-ld', 'arm-none-eabi-objcopy', 'mkenvimage'].filter((c) => !hasTool(c)),
  ...(existsSync(UBOOT) ? [] : [UBOOT]),
];
if (missing.length > 0) {
  skipped('uboot-qemu', `missing ${missing.join(', ')} (apt-get install qemu-system-arm u-boot-qemu u-boot-tools binutils-arm-none-eabi)`);
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeout?: number;
  /** Send stdout to this file instead of discarding it. */
  stdout?: string;
}

/** Runs a tool to completion; on failure the error carries its stderr. */
function run(cmd: string, args: readonly string[], { stdout, ...opts }: RunOptions = {}): void {
  const fd = stdout === undefined ? 'ignore' : openSync(stdout, 'w');
  try {
    execFileSync(cmd, args, { ...opts, stdio: ['ignore', fd, 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  } finally {
    if (typeof fd === 'number') closeSync(fd);
  }
}

/** Our drop-in mkimage, reproducible timestamps. */
function mkimage(args: readonly string[], cwd: string): void {
  run(process.execPath, [MKIMAGE, ...args], { cwd, env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
}

describe.skipIf(missing.length > 0)(
  `real U-Boot boots uImages from our mkimage in QEMU${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    let dir = '';
    let pflash = '';

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'uimg-uboot-qemu-'));
      // The payload, linked where bootm will copy it (the header's load address).
      run('arm-none-eabi-as', ['-march=armv7-a', '-o', 'hello.o', join(HERE, 'hello-arm.S')], { cwd: dir });
      run('arm-none-eabi-ld', ['-Ttext=0x40100000', '-o', 'hello.elf', 'hello.o'], { cwd: dir });
      run('arm-none-eabi-objcopy', ['-O', 'binary', 'hello.elf', 'hello.bin'], { cwd: dir });
      mkimage(
        ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x40100000', '-e', '0x40100000',
          '-n', 'hello-uimage', '-d', 'hello.bin', 'hello.uimg'],
        dir,
      );
      // qemu_arm keeps its environment at offset 0 of the second flash bank (0x04000000, 0x40000 bytes).
      await writeFile(join(dir, 'env.txt'), `${ENV_TEXT}\n`);
      run('mkenvimage', ['-s', '0x40000', '-o', 'env.bin', 'env.txt'], { cwd: dir });
      pflash = join(dir, 'pflash1.img');
      await writeFile(pflash, await readFile(join(dir, 'env.bin')));
      await truncate(pflash, PFLASH_SIZE);
    }, 60_000);

    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** U-Boot runs the env's bootcmd on the uImage preloaded (unparsed) at IMAGE_ADDR. */
    function bootUBoot(image: string, log: string, stop: { expect?: RegExp; fail?: RegExp } = {}): Promise<QemuResult> {
      return runQemu({
        binary: QEMU,
        args: [
          '-M', 'virt', '-cpu', 'cortex-a15', '-m', '256',
          '-bios', UBOOT,
          '-drive', `if=pflash,unit=1,format=raw,readonly=on,file=${pflash}`,
          // force-raw: otherwise QEMU's loader itself unpacks the uImage behind U-Boot's back.
          '-device', `loader,file=${image},addr=${IMAGE_ADDR},force-raw=on`,
        ],
        logFile: join(dir, log),
        deadlineMs: 45_000,
        ...stop,
      });
    }

    /** A copy of hello.uimg with one byte XOR-ed. */
    async function corrupt(name: string, offset: (len: number) => number): Promise<string> {
      const bytes = await readFile(join(dir, 'hello.uimg'));
      const at = offset(bytes.length);
      bytes[at] = bytes[at]! ^ 0x20;
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    }

    it('(a) iminfo accepts the image and bootm runs the payload', async () => {
      const dataSize = (await stat(join(dir, 'hello.bin'))).size;
      // No stop pattern: the payload itself powers off, which proves it ran to the end.
      const r = await bootUBoot(join(dir, 'hello.uimg'), 'a.log', { fail: UBOOT_FAILURE });
      expect(r.ended, r.log + r.stderr).toBe('exit');
      for (const line of [
        'Loading Environment from Flash... OK',
        '## Checking Image at 41000000 ...',
        'Legacy image found',
        'Image Name:   hello-uimage',
        'Created:      1970-01-01   0:00:00 UTC',
        'Image Type:   ARM Linux Kernel Image (uncompressed)',
        `Data Size:    ${dataSize} Bytes`,
        'Load Address: 40100000',
        'Entry Point:  40100000',
        'Verifying Checksum ... OK',
        '## Booting kernel from Legacy Image at 41000000 ...',
        'Starting kernel ...',
      ]) {
        expect(r.log).toContain(line);
      }
      expect(r.log).toMatch(new RegExp(`Starting kernel \\.\\.\\.[\\s\\S]*${MARKER}`));
      expect(r.log).not.toMatch(UBOOT_FAILURE);
    }, 90_000);

    it('(b) a flipped payload byte is refused with Bad Data CRC', async () => {
      const image = await corrupt('data-flip.uimg', (len) => len - 1); // the payload's unused last word
      const r = await bootUBoot(image, 'b.log'); // ends with U-Boot's poweroff
      expect(r.ended, r.log + r.stderr).toBe('exit');
      expect(r.log).toContain('Bad Data CRC');
      expect(r.log).toContain("ERROR: can't get kernel image!");
      expect(r.log).not.toContain('Starting kernel');
      expect(r.log).not.toContain(MARKER);
    }, 90_000);

    it('(c) a flipped header byte is refused with Bad Header Checksum', async () => {
      const image = await corrupt('header-flip.uimg', () => 0x20); // first byte of the image name
      const r = await bootUBoot(image, 'c.log');
      expect(r.ended, r.log + r.stderr).toBe('exit');
      expect(r.log).toContain('Bad Header Checksum');
      expect(r.log).toContain("ERROR: can't get kernel image!");
      expect(r.log).not.toContain('Starting kernel');
      expect(r.log).not.toContain(MARKER);
    }, 90_000);

    it('(d) real Linux (Debian 12 armmp zImage) starts from our uImage', async (ctx) => {
      const zImage = await debianArmmpZImage();
      if (typeof zImage !== 'string') return skipTest(ctx, 'uboot-qemu', zImage.skip);
      mkimage(
        ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x40008000', '-e', '0x40008000',
          '-n', 'linux-armmp', '-d', zImage, 'linux.uimg'],
        dir,
      );
      // Stop at the kernel's first line; without a root fs it panics and resets (-no-reboot) ~2 s later anyway.
      const r = await bootUBoot(join(dir, 'linux.uimg'), 'd.log', {
        expect: /Booting Linux on physical CPU/,
        fail: UBOOT_FAILURE,
      });
      expect(['expect', 'exit'], r.log + r.stderr).toContain(r.ended);
      expect(r.log).toContain('Image Name:   linux-armmp');
      expect(r.log).toContain('Verifying Checksum ... OK');
      expect(r.log).toMatch(/Starting kernel \.\.\.[\s\S]*Booting Linux on physical CPU/);
    }, 240_000);
  },
);
