/**
 * Format recognition against file(1) (5.44, Debian 12): for each format, which `file -b` output it maps to, checked
 * on every fixture and on the Debian kernels, with the details both print (endianness, version string, sizes, load
 * address) compared.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { inspect, type InspectNode } from '../src/inspect/inspect.js';
import { debianAmd64BzImage, debianArm64Image, debianArmmpZImage, debianVexpressDtb } from './debian-files.js';
import { FIXTURES, hasTool } from './helpers.js';
import { skipTest, skipUnless } from './skip.js';

/** What file(1) says for each of our formats. */
const FILE_SAYS: Record<string, RegExp> = {
  'uimage': /^u-boot legacy uImage, /,
  'zimage-arm': /^Linux kernel ARM boot executable zImage \((little|big)-endian\)$/,
  'image-arm64': /^Linux kernel ARM64 boot executable Image, little-endian, 4K pages$/,
  'image-riscv': /^data$/, // file 5.44 has no RISC-V Image magic
  'bzimage': /^Linux kernel x86 boot executable bzImage, version /,
  'fdt': /^Device Tree Blob version 17, size=\d+, /,
  'elf': /^ELF (32|64)-bit LSB executable, /,
  'gzip': /^gzip compressed data, /,
  'xz': /^XZ compressed data/,
};

/** Details file(1) prints that our inspection must agree with. */
function agree(says: string, node: InspectNode): void {
  const v = node.value as Record<string, any>;
  if (node.format === 'zimage-arm') expect(says).toContain(`(${v.endianness}-endian)`);
  if (node.format === 'bzimage') expect(says).toContain(`version ${v.kernelVersion}, `);
  if (node.format === 'fdt') expect(says).toContain(`size=${v.header.totalSize}, boot CPU=${v.header.bootCpuidPhys}, string block size=${v.header.sizeDtStrings}, DT structure block size=${v.header.sizeDtStruct}`);
  if (node.format === 'gzip') expect(says).toMatch(new RegExp(`original size modulo 2\\^32 ${v.uncompressedSize}$`));
  if (node.format === 'uimage') {
    const h = v.header;
    expect(says).toContain(`uImage, ${h.name}, `);
    expect(says).toContain(`${h.dataSize} bytes`);
    expect(says).toContain(`Load Address: ${h.load ? h.loadHex.toUpperCase() : '00000000'}`);
    expect(says).toContain(`Data CRC: ${h.dataCrcHex.toUpperCase()}`);
  }
  if (node.format === 'elf') expect(says).toContain(v.bits === 64 ? 'ELF 64-bit' : 'ELF 32-bit');
}

const fileSays = (path: string) => spawnSync('file', ['-b', path]).stdout.toString().trim();

describe.skipIf(skipUnless(hasTool('file'), 'inspect-file', 'file(1) not found (apt-get install file)'))(`format recognition agrees with file(1)${hasTool('file') ? '' : ' (skipped: file is not installed)'}`, () => {
  const dir = join(FIXTURES, 'inspect');
  it.each(readdirSync(dir).filter((n) => /\.(bin|img|dtb|elf|gz)$/.test(n)))('%s', async (name) => {
    const path = join(dir, name);
    const { root } = await inspect(fromBytes(new Uint8Array(readFileSync(path))));
    const says = fileSays(path);
    expect(says).toMatch(FILE_SAYS[root.format]!);
    agree(says, root);
  });

  it.each([['armmp zImage', debianArmmpZImage], ['arm64 Image', debianArm64Image], ['amd64 bzImage', debianAmd64BzImage], ['vexpress DTB', debianVexpressDtb]] as const)(
    'Debian %s', async (_, get, ctx) => {
      const path = await get();
      if (typeof path !== 'string') return skipTest(ctx, 'inspect-file', path.skip);
      const { root } = await inspect(fromBytes(new Uint8Array(readFileSync(path))));
      const says = fileSays(path);
      expect(says).toMatch(FILE_SAYS[root.format]!);
      agree(says, root);
    });
});
