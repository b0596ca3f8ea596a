#!/usr/bin/env node
// Regenerates fixtures/inspect/: small kernel-format files for the inspect tests. Headers are laid out here byte by
// byte from the kernel's documented layouts (not with uimg's encoders, so the tests check the decoders against an
// independent writer); compressed payloads, DTBs, ELF files and uImages come from the real tools (xz, gzip, dtc,
// binutils, U-Boot's mkimage). fixtures/inspect/PROVENANCE.md lists every file and command.
// Usage: node scripts/make-inspect-fixtures.js   (needs xz-utils, gzip, device-tree-compiler, u-boot-tools,
// binutils-arm-none-eabi, binutils-aarch64-linux-gnu, binutils for x86-64)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'fixtures', 'inspect');
const IN = join(OUT, 'in');
const work = mkdtempSync(join(tmpdir(), 'uimg-fixtures-'));
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { env, maxBuffer: 1 << 26, ...opts });
const tool = (cmd, args, input) => new Uint8Array(run(cmd, args, { input }));
const write = (name, bytes) => writeFileSync(join(OUT, name), bytes);
const le32 = (b, o, v) => new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true);
const be32 = (b, o, v) => new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, false);
const le16 = (b, o, v) => new DataView(b.buffer, b.byteOffset).setUint16(o, v, true);
const le64 = (b, o, v) => new DataView(b.buffer, b.byteOffset).setBigUint64(o, BigInt(v), true);
const ascii = (s) => new TextEncoder().encode(s);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const pad = (bytes, to) => concat(bytes, new Uint8Array((to - (bytes.length % to)) % to));

// The "decompressed kernel": 48 KiB of varied bytes holding the two banners a 6.1 kernel has (a placeholder without
// the build number, then the real one).
const KERNEL_SIZE = 48 * 1024;
const kernel = new Uint8Array(KERNEL_SIZE);
let seed = 0x2545f491;
for (let i = 0; i < kernel.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  kernel[i] = i % 7 === 0 ? seed >>> 24 : i & 0xff;
}
const BANNER = 'Linux version 6.1.0-uimg-test (uimg@fixtures) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (2026-01-01)';
kernel.set(ascii('Linux version 6.1.0-uimg-test (uimg@fixtures) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) # SMP PREEMPT_DYNAMIC\n\0'), 0x1000);
kernel.set(ascii(BANNER + '\n\0'), 0x8000);
writeFileSync(join(IN, 'kernel.bin'), kernel);

const xzKernel = tool('xz', ['--format=xz', '--check=crc32', '--arm', '--lzma2=preset=6,dict=1MiB', '-c'], kernel);
const gzKernel = tool('gzip', ['-9', '-n', '-c'], kernel);

// ARM zImage, Linux 6.1 layout: NOP pad, branch, magic/start/end/endianness words, extension table marker and
// offset, then code, the table (count 6), rodata with decoy magics, the payload and its size word, padded to 8.
function zImage({ payload, gzip, bigEndian = false, table = 'v6.1', efi = false }) {
  const w = (b, o, v) => (bigEndian ? be32 : le32)(b, o, v);
  const head = new Uint8Array(0x200);
  for (let o = 0; o < head.length; o += 4) w(head, o, 0xe1a00000); // mov r0, r0
  if (efi) head.set([0x4d, 0x5a, 0x25, 0xe2, 0x4d, 0x5a, 0x25, 0xe2]);
  w(head, 0x20, 0xea00000e);
  w(head, 0x24, 0x016f2818);
  w(head, 0x28, 0);
  w(head, 0x30, 0x04030201);
  if (table) {
    w(head, 0x34, 0x45454545);
    w(head, 0x38, 0x100);
  }
  if (efi) w(head, 0x3c, 0x40);
  // rodata decoys: an xz magic with bad stream flags, a gzip magic with reserved flag bits set
  head.set([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0], 0x140);
  head.set([0x1f, 0x8b, 0x08, 0xe0, 0, 0, 0, 0], 0x160);
  const payloadAt = 0x181; // unaligned, as in real kernels
  const sizeWord = new Uint8Array(4);
  le32(sizeWord, 0, KERNEL_SIZE);
  const body = gzip ? concat(head.subarray(0, payloadAt), payload) : concat(head.subarray(0, payloadAt), payload, sizeWord);
  const sizePtr = body.length - 4;
  const image = pad(body, 8);
  w(image, 0x2c, image.length);
  if (table === 'v6.1') [6, 0x5a534c4b, sizePtr, 0x1234, 0x8000, 0x10000, 0].forEach((v, i) => w(image, 0x100 + 4 * i, v));
  if (table === 'v5.4') [2, 0x5a534c4b, sizePtr, 0x1234, 0].forEach((v, i) => w(image, 0x100 + 4 * i, v));
  return image;
}
const zimageXz = zImage({ payload: xzKernel });
write('zimage-xz.bin', zimageXz);
write('zimage-gzip-v5.bin', zImage({ payload: gzKernel, gzip: true, table: 'v5.4', efi: true }));
write('zimage-be.bin', zImage({ payload: gzKernel, gzip: true, bigEndian: true, table: null }));

run('dtc', ['-I', 'dts', '-O', 'dtb', '-o', join(OUT, 'board.dtb'), join(IN, 'board.dts')]);
const dtb = new Uint8Array(readFileSync(join(OUT, 'board.dtb')));
write('zimage-dtb.bin', concat(zimageXz, dtb));

// arm64 Image: the 64-byte header of Documentation/arm64/booting.rst over the fake kernel.
const arm64 = new Uint8Array(64 + KERNEL_SIZE);
le32(arm64, 0, 0x14000010); // b +64
le64(arm64, 0x08, 0);
le64(arm64, 0x10, arm64.length + 0x10000); // image_size includes 64 KiB of BSS
le64(arm64, 0x18, 0xa); // little-endian, 4K pages, anywhere in RAM
arm64.set(ascii('ARM\x64'), 0x38);
arm64.set(kernel, 64);
write('image-arm64.bin', arm64);
write('image-arm64.gz', tool('gzip', ['-9', '-n', '-c'], arm64));

// RISC-V Image: Documentation/riscv/boot-image-header.rst, header version 0.2.
const riscv = new Uint8Array(64 + KERNEL_SIZE);
le32(riscv, 0, 0x0400006f); // j +64
le64(riscv, 0x08, 0x200000);
le64(riscv, 0x10, riscv.length + 0x10000);
le32(riscv, 0x20, 2);
riscv.set(ascii('RISCV\0\0\0'), 0x30);
riscv.set(ascii('RSC\x05'), 0x38);
riscv.set(kernel, 64);
write('image-riscv.bin', riscv);

// ELF files from binutils: an ARM bare-metal program, an AArch64 one, and an x86-64 "vmlinux" carrying the banner.
run('arm-none-eabi-as', ['-march=armv7-a', '-o', join(work, 'arm.o'), join(ROOT, 'test/e2e/hello-arm.S')]);
run('arm-none-eabi-ld', ['-N', '--no-warn-rwx-segments', '-Ttext=0x40100000', '-o', join(OUT, 'hello-arm.elf'), join(work, 'arm.o')]);
run('aarch64-linux-gnu-as', ['-o', join(work, 'a64.o'), join(IN, 'hello-arm64.S')]);
run('aarch64-linux-gnu-ld', ['-N', '--no-warn-rwx-segments', '-Ttext=0x40080000', '-o', join(OUT, 'hello-arm64.elf'), join(work, 'a64.o')]);
writeFileSync(join(work, 'banner.S'), `.text\n.globl _start\n_start: hlt\n.section .rodata\n.asciz "${BANNER}\\n"\n`);
run('x86_64-linux-gnu-as', ['-o', join(work, 'x86.o'), join(work, 'banner.S')]);
run('ld', ['-N', '--no-warn-rwx-segments', '-m', 'elf_x86_64', '-Ttext=0x1000000', '-o', join(work, 'vmlinux'), join(work, 'x86.o')]);
const vmlinux = new Uint8Array(readFileSync(join(work, 'vmlinux')));

// x86 bzImage: one setup sector, the setup header of Documentation/x86/boot.rst (protocol 2.15), and an xz'd ELF
// payload with the size trailer the kernel's build appends.
const xzVmlinux = tool('xz', ['--format=xz', '--check=crc32', '--x86', '--lzma2=preset=6', '-c'], vmlinux);
const vmSize = new Uint8Array(4);
le32(vmSize, 0, vmlinux.length);
const bzPayload = concat(xzVmlinux, vmSize);
const setup = new Uint8Array(0x400);
setup.set([0x4d, 0x5a]);
setup[0x1f1] = 1; // setup_sects: protected-mode code at (1 + 1) * 512
le16(setup, 0x1f2, 1); // root_flags
le16(setup, 0x1fa, 0xffff); // vid_mode
le16(setup, 0x1fe, 0xaa55);
setup.set([0xeb, 0x66], 0x200);
setup.set(ascii('HdrS'), 0x202);
le16(setup, 0x206, 0x020f);
le16(setup, 0x20e, 0x100); // kernel_version: string at 0x100 + 0x200
setup[0x211] = 0x01; // loadflags: LOADED_HIGH
le32(setup, 0x214, 0x100000);
le32(setup, 0x22c, 0x7fffffff);
le32(setup, 0x230, 0x200000);
setup[0x234] = 1;
setup[0x235] = 0x15;
le16(setup, 0x236, 0x7f);
le32(setup, 0x238, 0x7ff);
le32(setup, 0x248, 0x40); // payload_offset from the protected-mode code
le32(setup, 0x24c, bzPayload.length);
le64(setup, 0x258, 0x1000000);
le32(setup, 0x260, 0x400000);
setup.set(ascii('6.1.0-uimg-test (uimg@fixtures) #1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (2026-01-01)\0'), 0x300);
const pm = new Uint8Array(0x40).fill(0x90);
const bz = concat(setup, pm, bzPayload);
le32(bz, 0x1f4, Math.ceil((bz.length - 0x400) / 16)); // syssize in paragraphs
write('bzimage.bin', bz);

// uImages from U-Boot's mkimage (SOURCE_DATE_EPOCH pins the time).
const mkimage = (args) => run('mkimage', args, { cwd: OUT, stdio: ['ignore', 'ignore', 'inherit'] });
writeFileSync(join(work, 'ramdisk.gz'), tool('gzip', ['-9', '-n', '-c'], ascii('not really an initramfs\n'.repeat(64))));
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000', '-n', 'uimg test zImage', '-d', 'zimage-xz.bin', 'uimage-zimage.img']);
mkimage(['-T', 'kernel', '-a', '0x80008000', '-n', 'mkimage defaults', '-d', 'zimage-xz.bin', 'uimage-defaults.img']);
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x40080000', '-n', 'arm64 Image as arm', '-d', 'image-arm64.bin', 'uimage-arm-arm64.img']);
mkimage(['-A', 'arm64', '-O', 'linux', '-T', 'kernel', '-C', 'gzip', '-a', '0x40080000', '-n', 'arm64 Image.gz', '-d', 'image-arm64.gz', 'uimage-arm64-gzip.img']);
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x80008000', '-n', 'multi', '-d', `zimage-xz.bin:${join(work, 'ramdisk.gz')}:board.dtb`, 'uimage-multi.img']);
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'boot script', '-d', join(IN, 'boot.cmd'), 'uimage-script.img']);

rmSync(work, { recursive: true, force: true });
console.log(`fixtures written to ${OUT}`);
