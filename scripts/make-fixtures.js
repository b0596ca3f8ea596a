#!/usr/bin/env node
// Regenerates fixtures/mkimage/ with U-Boot's real mkimage (Debian u-boot-tools 2023.01): the golden images, the
// text mkimage printed, and manifest.json + PROVENANCE.md naming the exact command behind each file.
// Run from the repo root: node scripts/make-fixtures.js
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'fixtures/mkimage';
const inputs = join(dir, 'in');
mkdirSync(inputs, { recursive: true });
const version = spawnSync('mkimage', ['-V'], { encoding: 'utf8' }).stdout.trim();
if (version !== 'mkimage version 2023.01') throw new Error(`need U-Boot 2023.01 mkimage, found: ${version || 'none'}`);

// Inputs: small, deterministic.
const blob = Buffer.alloc(3000);
for (let i = 0; i < blob.length; i++) blob[i] = (i * 7 + 3) & 0xff;
const files = {
  'hello.txt': Buffer.from('hello world\n'),
  'p1': Buffer.from('A'), 'p2': Buffer.from('BBBBB'), 'p3': Buffer.from('CCCCCCCC'), 'p4': Buffer.from('DD'),
  'boot.cmd': Buffer.from('echo hello\n'),
  'xip.bin': Buffer.concat([Buffer.alloc(64, 0xff), Buffer.from('XIPDATA-payload')]),
  'blob.bin': blob,
  'fake.gz': Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4]),
  'tee.bin': Buffer.from('OPTE\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x0eteepayload', 'latin1'),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(inputs, name), bytes);

const E = '1700000000';
const cases = [
  ['tv1.img', E, ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000', '-n', 'Linux-6.1', '-d', 'in/hello.txt']],
  ['tv2.img', E, ['-A', 'arm64', '-O', 'linux', '-T', 'kernel', '-C', 'gzip', '-a', '0x40080000', '-n', '12345678901234567890123456789012extra', '-d', 'in/hello.txt']],
  ['defaults.img', '0', ['-d', 'in/hello.txt']],
  ['multi.img', E, ['-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000', '-n', 'multi-test', '-d', 'in/p1:in/p2:in/p3']],
  ['multi4.img', E, ['-A', 'arm', '-T', 'multi', '-C', 'none', '-d', 'in/p1:in/p2:in/p3:in/p4']],
  ['script.img', E, ['-A', 'arm', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'boot script', '-d', 'in/boot.cmd']],
  ['script3.img', E, ['-A', 'arm', '-T', 'script', '-C', 'none', '-n', 'boot script', '-d', 'in/boot.cmd:in/p2:in/p3']],
  ['xip.img', E, ['-x', '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x08000000', '-n', 'xip', '-d', 'in/xip.bin']],
  ['ramdisk.img', '1234567890', ['-A', 'arm', '-O', 'linux', '-T', 'ramdisk', '-C', 'none', '-a', '0x40000000', '-n', 'ramdisk image', '-d', 'in/blob.bin']],
  ['standalone.img', '1234567890', ['-A', 'arm', '-O', 'u-boot', '-T', 'standalone', '-C', 'none', '-a', '0x40000000', '-n', 'standalone image', '-d', 'in/blob.bin']],
  ['noload.img', E, ['-A', 'riscv', '-O', 'linux', '-T', 'kernel_noload', '-C', 'gzip', '-n', 'noload', '-d', 'in/fake.gz']],
  ['ivt.img', '0', ['-A', 'arm', '-T', 'firmware_ivt', '-C', 'none', '-a', '0x877ff400', '-d', 'in/hello.txt']],
  ['tee.img', E, ['-A', 'arm', '-O', 'tee', '-T', 'kernel', '-C', 'none', '-n', 'optee', '-d', 'in/tee.bin']],
  ['nodata.img', E, ['-s', '-A', 'sh', '-T', 'kernel', '-C', 'none', '-a', '8c001000', '-d', 'in/hello.txt']],
  ['utf8.img', '-1', ['-A', 'arm', '-C', 'none', '-n', 'héllo wörld ünïcødé nämé ∑∂ƒ', '-d', 'in/hello.txt']],
  ['wide-addr.img', '4294967296', ['-A', 'mips', '-O', 'netbsd', '-C', 'lzma', '-a', '123456789', '-e', '-10', '-d', 'in/blob.bin']],
];

const manifest = { tool: version, images: [], lists: [] };
for (const [out, epoch, args] of cases) {
  const r = spawnSync('mkimage', [...args, out], { cwd: dir, env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: epoch, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`mkimage ${args.join(' ')} failed: ${r.stderr}`);
  writeFileSync(join(dir, out.replace(/\.img$/, '.txt')), r.stdout);
  manifest.images.push({ file: out, listing: out.replace(/\.img$/, '.txt'), env: { SOURCE_DATE_EPOCH: epoch, TZ: 'UTC' }, args: [...args, out] });
}
// The name lists mkimage prints (to stderr): -T list exits 0, the others are bad names (exit 1, then usage).
for (const [flag, out] of [['-T', 'list-type.txt'], ['-A', 'list-arch.txt'], ['-O', 'list-os.txt'], ['-C', 'list-comp.txt']]) {
  const args = flag === '-T' ? ['-T', 'list'] : [flag, 'list', 'x'];
  const r = spawnSync('mkimage', args, { cwd: dir });
  writeFileSync(join(dir, out), r.stderr);
  manifest.lists.push({ file: out, args, stream: 'stderr', exit: r.status });
}
writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

const q = (a) => (/^[A-Za-z0-9_./:=+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const lines = [
  '# Provenance of fixtures/mkimage',
  '',
  `Made by \`node scripts/make-fixtures.js\` with U-Boot's own \`${version}\` (Debian 12 u-boot-tools 2023.01+dfsg),`,
  'run in this folder. Inputs in `in/` are written by the same script (deterministic bytes).',
  'Each `X.img` is the image, `X.txt` what mkimage printed on stdout while making it.',
  '',
  '| file | exact command |',
  '| --- | --- |',
  ...manifest.images.map((m) => `| ${m.file} | \`SOURCE_DATE_EPOCH=${m.env.SOURCE_DATE_EPOCH} TZ=UTC mkimage ${m.args.map(q).join(' ')} > ${m.listing}\` |`),
  ...manifest.lists.map((m) => `| ${m.file} | \`mkimage ${m.args.join(' ')} 2> ${m.file}\` (exit ${m.exit}) |`),
  '',
];
writeFileSync(join(dir, 'PROVENANCE.md'), lines.join('\n'));
console.log(`wrote ${manifest.images.length} images and ${manifest.lists.length} lists to ${dir}`);
