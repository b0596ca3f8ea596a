// End to end: ROM images made by `uimg romimage` run from the reset vector under QEMU, with no boot loader.
// Recipes C (SH-4 r2d), B (ARM) and E (AArch64) of /work/shared/reference/boot-in-qemu.md.
//  - sh: a romImage whose script writes SDRAM (32/16/8-bit) and waits, and whose payload (assembled here with sh4
//    binutils) checks the writes and prints the command line it finds in the copied boot-parameter page;
//  - arm / arm64: the real Debian 12 armmp zImage and arm64 Image reach "Booting Linux on physical CPU", with
//    QEMU's DTB at the RAM base, and with a DTB embedded in the ROM (QEMU's own, its compatible string changed so
//    the kernel's "Machine model" line shows which one it read).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianArm64Image, debianArmmpZImage } from '../debian-files.js';
import { hasTool, runOurs, tempDir } from '../helpers.js';
import { runQemu } from './qemu.js';
import { skipTest, skipped } from '../skip.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const R2D_FLASH = 16 * 1024 * 1024; // QEMU's r2d flash must be exactly 16 MiB
const BOOTED = /Booting Linux on physical CPU/;

function uimg(args: string[], cwd: string): string {
  const r = runOurs('uimg', ['romimage', ...args], cwd);
  if (r.status !== 0) throw new Error(`uimg romimage ${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

function skipNote(suite: string, missing: string[]): string {
  if (missing.length === 0) return '';
  skipped(`romimage-qemu ${suite}`, `missing ${missing.join(', ')}`);
  return ` (skipped: missing ${missing.join(', ')})`;
}

const shMissing = ['qemu-system-sh4', 'sh4-linux-gnu-as', 'sh4-linux-gnu-objcopy'].filter((t) => !hasTool(t));

describe.skipIf(shMissing.length > 0)(`SH romImage from the r2d reset vector${skipNote('sh', shMissing)}`, () => {
  let dir = '';
  const SCRIPT = [
    'LIST "r2d: bus state controller, then SDRAM writes the payload checks"',
    'ED 0xff800000, 0x00000008',
    'EW 0xff800004, 0x2e3c',
    'ED 0xac000000, 0x12345678',
    'EW 0xac000004, 0xbeef',
    'EB 0xac000006, 0x5a',
    'WAIT 1000',
    'DD 0xac000000',
  ].join('\n') + '\n';

  beforeAll(() => {
    dir = tempDir('uimg-romimage-sh-');
    execFileSync('sh4-linux-gnu-as', ['-little', '-o', 'payload.o', join(HERE, 'sh-payload.S')], { cwd: dir });
    execFileSync('sh4-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', 'payload.o', 'payload.bin'], { cwd: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function boot(script: string, cmdline: string) {
    writeFileSync(join(dir, 'setup.txt'), script);
    uimg(['sh', '--board', 'r2d', '--script', 'setup.txt', '--zimage', 'payload.bin', '--raw-payload', '--cmdline', cmdline, '-o', 'rom.bin'], dir);
    writeFileSync(join(dir, 'flash.img'), readFileSync(join(dir, 'rom.bin')));
    await truncate(join(dir, 'flash.img'), R2D_FLASH);
    return runQemu({
      binary: 'qemu-system-sh4',
      args: ['-M', 'r2d', '-serial', 'null', '-drive', `if=pflash,format=raw,file=${join(dir, 'flash.img')}`], // SCIF = 2nd port
      logFile: join(dir, 'serial.log'),
      deadlineMs: 30_000,
    });
  }

  it('writes verified, command line found in the copied page', async () => {
    const r = await boot(SCRIPT, 'console=ttySC1,115200 uimg-e2e root=/dev/ram0');
    expect(r.log).toBe('HELLO-SH\nSH-HEAD-WRITES-OK\nZERO-PAGE-OK\nCMDLINE=[console=ttySC1,115200 uimg-e2e root=/dev/ram0]\n');
    expect(r.ended).toBe('exit'); // the payload's trapa reset ends the run
  });

  it('control: a wrong 16-bit value in the script is caught by the payload', async () => {
    const r = await boot(SCRIPT.replace('0xbeef', '0xbeee'), 'x');
    expect(r.log).toBe('HELLO-SH\nSH-HEAD-WRITES-BAD\nZERO-PAGE-OK\nCMDLINE=[x]\n');
  });
});

type Arch = 'arm' | 'arm64';
const MACHINE: Record<Arch, { qemu: string; args: string[] }> = {
  arm: { qemu: 'qemu-system-arm', args: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256'] },
  arm64: { qemu: 'qemu-system-aarch64', args: ['-M', 'virt', '-cpu', 'cortex-a57', '-m', '512'] },
};

/**
 * QEMU virt's own DTB, with its compatible/model string changed (same length, so the blob stays valid). It is dumped
 * with a -bios, as the boot runs: without firmware QEMU adds a PL061 GPIO that a -bios machine lacks, and a kernel
 * probing it hangs before it can print.
 */
function patchedVirtDtb(arch: Arch, dir: string, marker: string): string {
  const { qemu, args } = MACHINE[arch];
  const [machine, ...rest] = args.slice(1);
  writeFileSync(join(dir, 'firmware.bin'), new Uint8Array(4));
  execFileSync(qemu, ['-M', `${machine},dumpdtb=virt.dtb`, ...rest, '-bios', 'firmware.bin', '-nic', 'none', '-display', 'none'], { cwd: dir, stdio: 'ignore' });
  const dtb = readFileSync(join(dir, 'virt.dtb'));
  const from = Buffer.from('linux,dummy-virt\0');
  const to = Buffer.from(marker + '\0');
  expect(to.length).toBe(from.length);
  let patched = 0;
  for (let at = dtb.indexOf(from); at >= 0; at = dtb.indexOf(from, at + 1)) {
    to.copy(dtb, at);
    patched++;
  }
  expect(patched).toBeGreaterThan(0);
  writeFileSync(join(dir, 'patched.dtb'), dtb);
  return 'patched.dtb';
}

for (const arch of ['arm', 'arm64'] as const) {
  const { qemu, args } = MACHINE[arch];
  const missing = [qemu].filter((t) => !hasTool(t));
  describe.skipIf(missing.length > 0)(`${arch} ROM image boots the Debian kernel from -bios${skipNote(arch, missing)}`, () => {
    let dir = '';
    let kernel = '';
    beforeAll(async () => {
      dir = tempDir(`uimg-romimage-${arch}-`);
      const k = await (arch === 'arm' ? debianArmmpZImage() : debianArm64Image());
      if (typeof k === 'string') kernel = k;
      else skipped(`romimage-qemu ${arch} kernel`, k.skip);
    }, 300_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true })); // the ROMs are as big as the kernels

    const boot = (rom: string, expect: RegExp) => runQemu({
      binary: qemu, args: [...args, '-bios', join(dir, rom)], logFile: join(dir, `${rom}.log`), expect, deadlineMs: 90_000,
    });

    it('QEMU\'s DTB at the RAM base: the tool places the kernel clear of it, and Linux starts', async (ctx) => {
      if (!kernel) return skipTest(ctx, 'romimage-qemu', 'the kernel could not be fetched');
      const map = uimg([arch, '--zimage', kernel, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '-o', 'rom.bin'], dir);
      expect(map).toContain(arch === 'arm' ? 'entry: 0x42000000 (zImage start), r0=0x00000000 r1=0xffffffff r2=0x40000000'
        : 'entry: 0x40200000 (Image start), x0=0x40000000');
      const r = await boot('rom.bin', BOOTED);
      expect(r.ended, r.log + r.stderr).toBe('expect');
      expect(r.log).toMatch(/^\[ *0\.000000\] Booting Linux on physical CPU/); // nothing ran before the kernel printed
    }, 120_000);

    it('a DTB embedded in the ROM is copied and handed over', async (ctx) => {
      if (!kernel) return skipTest(ctx, 'romimage-qemu', 'the kernel could not be fetched');
      const dtb = patchedVirtDtb(arch, dir, 'uimg,rom-dtb-ok!');
      const map = uimg([arch, '--zimage', kernel, '--ram-base', '0x40000000', '--dtb', dtb, '-o', 'rom-dtb.bin'], dir);
      expect(map).toMatch(/copied +DTB/);
      const r = await boot('rom-dtb.bin', /Machine model: \S+/);
      expect(r.ended, r.log + r.stderr).toBe('expect');
      expect(r.log).toMatch(/Machine model: uimg,rom-dtb-ok!/);
    }, 120_000);
  });
}
