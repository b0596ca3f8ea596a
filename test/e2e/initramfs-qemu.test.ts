// End to end: the real Debian 12 armmp Linux kernel under qemu-system-arm -M virt unpacks an initramfs written by
// `uimg cpio` and runs its /init, a tiny static ARM program assembled here that prints a marker and powers off.
// A second boot shows the kernel checks the data sums of our crc-format archives: a changed byte is refused.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQemu } from './qemu.js';
import { debianArmmpZImage } from '../debian-files.js';
import { hasTool, runOurs } from '../helpers.js';
import { gzipSync } from 'node:zlib';
import { skipped } from '../skip.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const QEMU = 'qemu-system-arm';
const MARKER = 'UIMG-INITRAMFS-OK';
const LIST = ['dir /dev 0755 0 0', 'nod /dev/console 0600 0 0 c 5 1', 'file /init init 0755 0 0', ''].join('\n');
const UNPACK_FAILED = /Initramfs unpacking failed: (.*)/;

const missing = [QEMU, 'arm-none-eabi-as', 'arm-none-eabi-ld'].filter((c) => !hasTool(c));
const kernel = await debianArmmpZImage();
const skip = missing.length > 0 ? `missing ${missing.join(', ')} (apt-get install qemu-system-arm binutils-arm-none-eabi)`
  : typeof kernel === 'object' ? kernel.skip : undefined;
if (skip) skipped('initramfs-qemu', skip);

function boot(dir: string, initrd: string) {
  return runQemu({
    binary: QEMU,
    args: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256', '-kernel', kernel as string, '-initrd', join(dir, initrd),
      '-append', 'console=ttyAMA0 panic=-1 rdinit=/init'],
    logFile: join(dir, `${initrd}.log`),
    deadlineMs: 90_000, // ~4 s on an idle machine; generous for a loaded one
  });
}

describe.skipIf(skip !== undefined)(`Linux unpacks and runs an initramfs from uimg cpio${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uimg-initramfs-qemu-'));
    execFileSync('arm-none-eabi-as', ['-march=armv7-a', '-o', 'init.o', join(HERE, 'init-arm.S')], { cwd: dir });
    execFileSync('arm-none-eabi-ld', ['-static', '-o', 'init', 'init.o'], { cwd: dir });
    writeFileSync(join(dir, 'initramfs.list'), LIST);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('boots: the kernel unpacks our gzip\'d newc archive and /init prints the marker', async () => {
    const made = runOurs('uimg', ['cpio', '--list', 'initramfs.list', '--gzip', '-o', 'initramfs.cpio.gz'], dir, { SOURCE_DATE_EPOCH: '0' });
    expect(made.stderr.toString()).toBe('');
    expect(made.status).toBe(0);
    const r = await boot(dir, 'initramfs.cpio.gz');
    expect(r.log).toMatch(/Trying to unpack rootfs image as initramfs/);
    expect(r.log).not.toMatch(UNPACK_FAILED);
    expect(r.log).toContain(MARKER);
    expect(r.log).toMatch(/reboot: Power down/); // our /init ended the run
    expect(r.ended).toBe('exit');
  }, 120_000);

  it('the kernel verifies the sums of our crc (070702) archive: one changed data byte is "bad data checksum"', async () => {
    expect(runOurs('uimg', ['cpio', '--list', 'initramfs.list', '-c', '-o', 'crc.cpio'], dir, { SOURCE_DATE_EPOCH: '0' }).status).toBe(0);
    const archive = readFileSync(join(dir, 'crc.cpio'));
    const at = archive.indexOf(MARKER);
    archive[at + 5] = 'X'.charCodeAt(0); // UIMG-XNITRAMFS-OK: the header's sum no longer matches
    writeFileSync(join(dir, 'bad-crc.cpio.gz'), gzipSync(archive));
    const r = await boot(dir, 'bad-crc.cpio.gz');
    expect(r.log.match(UNPACK_FAILED)?.[1]?.trim()).toBe('bad data checksum');
    expect(r.log).not.toContain(MARKER);
  }, 120_000);
});
