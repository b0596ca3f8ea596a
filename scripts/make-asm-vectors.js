#!/usr/bin/env node
// Assembles fixtures/asm/*.S with Debian's cross binutils and writes the bytes to fixtures/asm/vectors.json, the
// vectors test/asm.test.ts checks uimg's encoders against. records.S is first made from records.txt by uimg's own
// emitter (`uimg romimage script records.txt --emit asm --cache-tail`), romimage-macros.inc from its macro text.
// Needs: binutils-sh4-linux-gnu, binutils-arm-none-eabi, binutils-aarch64-linux-gnu; run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROMIMAGE_MACROS } from '../dist/formats/romimage/script-asm.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'fixtures/asm');
const tmp = mkdtempSync(join(tmpdir(), 'uimg-asm-'));

writeFileSync(join(DIR, 'romimage-macros.inc'), ROMIMAGE_MACROS);
writeFileSync(join(DIR, 'records.S'), execFileSync(process.execPath,
  [join(ROOT, 'bin/uimg.js'), 'romimage', 'script', join(DIR, 'records.txt'), '--emit', 'asm', '--cache-tail']));

const TOOLS = {
  sh4: { prefix: 'sh4-linux-gnu-', flags: { little: ['-little'], big: ['-big'] } },
  a32: { prefix: 'arm-none-eabi-', flags: { little: ['-march=armv7-a'] } },
  a64: { prefix: 'aarch64-linux-gnu-', flags: { little: [] } },
};
const FILES = {
  'sh4-insns.S': 'sh4', 'sh4-pcrel.S': 'sh4', 'sh4-unaligned.S': 'sh4', 'sh4-copy.S': 'sh4', 'records.S': 'sh4',
  'a32-insns.S': 'a32', 'a32-pcrel.S': 'a32', 'a32-stub.S': 'a32',
  'a64-insns.S': 'a64', 'a64-pcrel.S': 'a64', 'a64-stub.S': 'a64',
};

const vectors = { tools: {}, files: {} };
for (const [isa, { prefix }] of Object.entries(TOOLS)) {
  vectors.tools[isa] = execFileSync(`${prefix}as`, ['--version']).toString().split('\n')[0];
}
for (const [file, isa] of Object.entries(FILES)) {
  const { prefix, flags } = TOOLS[isa];
  vectors.files[file] = {};
  for (const [endian, asFlags] of Object.entries(flags)) {
    const obj = join(tmp, 'out.o'), bin = join(tmp, 'out.bin');
    execFileSync(`${prefix}as`, [...asFlags, '-I', DIR, '-o', obj, join(DIR, file)]);
    execFileSync(`${prefix}objcopy`, ['-O', 'binary', '-j', '.text', obj, bin]);
    vectors.files[file][endian] = readFileSync(bin).toString('hex');
  }
}
writeFileSync(join(DIR, 'vectors.json'), JSON.stringify(vectors, null, 2) + '\n');
rmSync(tmp, { recursive: true });
console.log(`wrote ${Object.keys(FILES).length} files' vectors to fixtures/asm/vectors.json`);
