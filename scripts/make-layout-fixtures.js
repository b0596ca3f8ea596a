#!/usr/bin/env node
// Regenerates the images under fixtures/layouts/images (see fixtures/layouts/PROVENANCE.md): a synthetic ARM zImage
// (a real header and kernel size table around filler bytes, not a kernel), uImages of it made by our mkimage, a
// bootstrap stand-in, and board.dtb compiled by dtc from board.dts. Run from the repository root after `npm run build`.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dir = join('fixtures', 'layouts', 'images');
const le = (b, at, v) => b.writeUInt32LE(v >>> 0, at);

function zImage() {
  const length = 20 << 10;
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 131 + 7) & 0xff;      // filler standing in for code and payload
  for (let i = 0; i < 8; i++) le(b, 4 * i, 0xe1a00000);                 // mov r0, r0
  le(b, 0x20, 0xea000006);                                              // b 0x40
  le(b, 0x24, 0x016f2818);                                              // zImage magic
  le(b, 0x28, 0);                                                       // start
  le(b, 0x2c, length);                                                  // end
  le(b, 0x30, 0x04030201);                                              // endianness flag
  le(b, 0x34, 0x45454545);                                              // extension table follows
  le(b, 0x38, 0x40);                                                    // at 0x40
  le(b, 0x3c, 0);
  // Kernel size record as Linux 6.1 writes it: count 6, "KLSZ", size word offset, BSS, TEXT_OFFSET, malloc, 0.
  [6, 0x5a534c4b, length - 4, 0x40000, 0x8000, 0x10000, 0].forEach((w, i) => le(b, 0x40 + 4 * i, w));
  le(b, length - 4, 4 << 20);                                           // decompressed kernel: 4 MiB
  return b;
}

writeFileSync(join(dir, 'zImage'), zImage());
const gz = join(mkdtempSync(join(tmpdir(), 'uimg-fixtures-')), 'zImage.gz');
writeFileSync(gz, gzipSync(zImage(), { level: 9 }));
const bootstrap = Buffer.alloc(12 << 10);
for (let i = 0; i < bootstrap.length; i++) bootstrap[i] = (i * 17) & 0xff;
writeFileSync(join(dir, 'bootstrap.bin'), bootstrap);

const mkimage = (args) => execFileSync(process.execPath, ['bin/mkimage.js', ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' } });
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x20008000', '-e', '0x20008000', '-n', 'synthetic zImage', '-d', join(dir, 'zImage'), join(dir, 'uImage')]);
mkimage(['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'gzip', '-a', '0x20008000', '-e', '0x20008000', '-n', 'synthetic zImage gzip', '-d', gz, join(dir, 'uImage.gz')]);
execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', join(dir, 'board.dtb'), join(dir, 'board.dts')]);
