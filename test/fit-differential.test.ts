/**
 * FIT creation against U-Boot 2023.01's mkimage: random `-f auto` and `.its` invocations (kernel, fdt, ramdisk,
 * loadables, firmware; every hash algorithm; -E -B -p; RSA image and configuration signatures with -K -r -c) run in
 * twin directories; FIT bytes, key-DTB bytes, stdout, stderr and exit code must agree. Keys are made with openssl in
 * the test's temp dir. Seeded, so a failure names a case that can be replayed (UIMG_FIT_SEED).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_TOOLS_DIR, hasTool, runOurs, runReal, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const have = hasTool(join(REAL_TOOLS_DIR, 'mkimage')) && hasTool('dtc') && hasTool('openssl');
if (!have) skipped('FIT differential', `needs U-Boot's mkimage in ${REAL_TOOLS_DIR}, dtc and openssl`);

const ENV = { SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };
const HASHES = ['crc32', 'crc16-ccitt', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'];
const SIG_SUMS = ['sha1', 'sha256', 'sha384', 'sha512'];
const KEYS = [['dev', 2048], ['big', 3072], ['huge', 4096]] as const;

/** mulberry32: a small seeded generator, so every case is reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

const base = tempDir('uimg-fitdiff-');
const inputs = join(base, 'in');
let counter = 0;

function makeInputs(): void {
  mkdirSync(join(inputs, 'keys'), { recursive: true });
  const w = (name: string, bytes: Uint8Array | string) => writeFileSync(join(inputs, name), bytes);
  for (const [name, n, mul] of [['kernel.bin', 5000, 1], ['initrd.bin', 777, 7], ['fw.bin', 301, 13], ['small.bin', 3, 5], ['big.bin', 70_001, 3]] as const) {
    w(name, Uint8Array.from({ length: n }, (_, i) => (i * mul + n) & 0xff));
  }
  for (const x of ['a', 'b', 'c']) {
    w(`board-${x}.dts`, `/dts-v1/; / { compatible = "vendor,board-${x}"; model = "Board ${x}"; };`);
    execFileSync('dtc', ['-o', `board-${x}.dtb`, `board-${x}.dts`], { cwd: inputs, stdio: 'pipe' });
  }
  w('ctl.dts', '/dts-v1/; / { model = "control"; compatible = "qemu,arm"; };');
  execFileSync('dtc', ['-o', 'ctl.dtb', 'ctl.dts'], { cwd: inputs, stdio: 'pipe' });
  for (const [name, bits] of KEYS) {
    execFileSync('openssl', ['genrsa', '-out', `keys/${name}.key`, String(bits)], { cwd: inputs, stdio: 'pipe' });
    execFileSync('openssl', ['req', '-batch', '-new', '-x509', '-key', `keys/${name}.key`, '-out', `keys/${name}.crt`, '-subj', `/CN=${name}`], { cwd: inputs, stdio: 'pipe' });
  }
}

interface Case {
  args: string[];
  its?: string;
  keyDtb?: boolean;
}

function twin(c: Case) {
  const id = `c${counter++}`;
  const run = (side: 'real' | 'ours') => {
    const dir = join(base, id, side);
    mkdirSync(dir, { recursive: true });
    cpSync(inputs, dir, { recursive: true });
    if (c.its) writeFileSync(join(dir, 'x.its'), c.its);
    const r = side === 'real' ? runReal('mkimage', c.args, dir, ENV) : runOurs('mkimage', c.args, dir, ENV);
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)).toString('hex') : 'absent');
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), fit: read('out.itb'), key: read('ctl.dtb') };
  };
  return { real: run('real'), ours: run('ours') };
}

function expectSame(c: Case) {
  const { real, ours } = twin(c);
  const label = `mkimage ${c.args.join(' ')}${c.its ? `\n${c.its}` : ''}`;
  expect(ours, label).toEqual(real);
}

function randomAuto(r: ReturnType<typeof rng>): Case {
  const args = ['-f', 'auto'];
  if (r.chance(0.7)) args.push('-A', r.pick(['arm', 'arm64', 'x86', 'riscv', 'ppc']));
  if (r.chance(0.5)) args.push('-O', r.pick(['linux', 'u-boot', 'tee']));
  if (r.chance(0.5)) args.push('-T', r.pick(['kernel', 'ramdisk', 'standalone', 'firmware', 'kernel_noload']));
  if (r.chance(0.7)) args.push('-C', r.pick(['none', 'gzip', 'lzma', 'zstd']));
  if (r.chance(0.6)) args.push('-a', r.pick(['0x80008000', '40080000', '0x123456789']));
  if (r.chance(0.4)) args.push('-e', r.pick(['0x80008040', '0']));
  if (r.chance(0.6)) args.push('-n', r.pick(['Linux kernel', 'x', 'A much longer description for this image']));
  args.push('-d', r.pick(['kernel.bin', 'small.bin', 'big.bin']));
  for (let i = r.int(4); i > 0; i--) args.push('-b', r.pick(['board-a.dtb', 'board-b.dtb', 'board-c.dtb']));
  if (r.chance(0.4)) args.push('-i', 'initrd.bin');
  if (r.chance(0.4)) {
    args.push('-E');
    if (r.chance(0.5)) args.push('-B', r.pick(['0x10', '0x100', '0x1000']));
    if (r.chance(0.3)) args.push('-p', r.pick(['0x2000', '0x20000', '0x10']));
  }
  if (r.chance(0.25)) {
    const [key] = r.pick(KEYS);
    args.push('-k', 'keys', '-g', key, '-o', `${r.pick(SIG_SUMS)},rsa${KEYS.find((k) => k[0] === key)![1]}`);
  }
  args.push('out.itb');
  return { args };
}

function randomIts(r: ReturnType<typeof rng>): Case {
  const images: { name: string; kind: string }[] = [];
  const lines: string[] = [];
  const kinds = ['kernel', 'fdt', 'ramdisk', 'loadable', 'firmware'];
  const count = 1 + r.int(4);
  const signing = r.chance(0.5);
  for (let i = 0; i < count; i++) {
    const kind = i === 0 ? 'kernel' : r.pick(kinds);
    const name = `${kind}-${i + 1}`;
    images.push({ name, kind });
    const file = kind === 'fdt' ? r.pick(['board-a.dtb', 'board-b.dtb']) : r.pick(['kernel.bin', 'initrd.bin', 'fw.bin', 'small.bin']);
    const type = { kernel: 'kernel', fdt: 'flat_dt', ramdisk: 'ramdisk', loadable: 'standalone', firmware: 'firmware' }[kind];
    lines.push(`\t\t${name} {`, `\t\t\tdescription = "${kind} image ${i}";`, `\t\t\tdata = /incbin/("${file}");`, `\t\t\ttype = "${type}";`,
      `\t\t\tarch = "arm";`, `\t\t\tos = "linux";`, `\t\t\tcompression = "none";`);
    if (kind !== 'fdt' || r.chance(0.3)) lines.push(`\t\t\tload = <0x${(0x80000000 + i * 0x100000).toString(16)}>;`);
    if (kind === 'kernel') lines.push(`\t\t\tentry = <0x80000000>;`);
    const hashes = signing ? 1 + r.int(2) : r.int(3);
    for (let h = 0; h < hashes; h++) lines.push(`\t\t\thash-${h + 1} { algo = "${r.pick(HASHES)}"; };`);
    if (signing && r.chance(0.3)) {
      const [key, bits] = r.pick(KEYS);
      lines.push(`\t\t\tsignature-1 { algo = "${r.pick(SIG_SUMS)},rsa${bits}"; key-name-hint = "${key}"; };`);
    }
    lines.push('\t\t};');
  }
  const conf: string[] = ['\tconfigurations {', '\t\tdefault = "conf-1";'];
  const confs = 1 + r.int(2);
  for (let c = 0; c < confs; c++) {
    conf.push(`\t\tconf-${c + 1} {`, `\t\t\tdescription = "configuration ${c}";`, `\t\t\tkernel = "kernel-1";`);
    const byKind = (k: string) => images.filter((i) => i.kind === k).map((i) => `"${i.name}"`);
    if (byKind('fdt').length) conf.push(`\t\t\tfdt = ${byKind('fdt')[0]};`);
    if (byKind('ramdisk').length) conf.push(`\t\t\tramdisk = ${byKind('ramdisk')[0]};`);
    if (byKind('firmware').length) conf.push(`\t\t\tfirmware = ${byKind('firmware')[0]};`);
    if (byKind('loadable').length) conf.push(`\t\t\tloadables = ${byKind('loadable').join(', ')};`);
    if (signing && r.chance(0.8)) {
      const [key, bits] = r.pick(KEYS);
      const sign = r.chance(0.5) ? `\t\t\t\tsign-images = ${['"kernel"', ...(byKind('fdt').length ? ['"fdt"'] : []), ...(byKind('ramdisk').length ? ['"ramdisk"'] : [])].join(', ')};` : '';
      conf.push(`\t\t\tsignature-1 {`, `\t\t\t\talgo = "${r.pick(SIG_SUMS)},rsa${bits}";`, `\t\t\t\tkey-name-hint = "${key}";`, ...(sign ? [sign] : []), '\t\t\t};');
    }
    conf.push('\t\t};');
  }
  conf.push('\t};');
  const its = ['/dts-v1/;', '', '/ {', '\tdescription = "Random FIT";', '\t#address-cells = <1>;', '\timages {', ...lines, '\t};', ...conf, '};', ''].join('\n');
  const args = ['-f', 'x.its'];
  let keyDtb = false;
  if (signing) {
    args.push('-k', 'keys');
    if (r.chance(0.7)) {
      args.push('-K', 'ctl.dtb');
      keyDtb = true;
      if (r.chance(0.5)) args.push('-r');
    }
    if (r.chance(0.4)) args.push('-c', r.pick(['test comment', 'odd-13-bytes!', 'c']));
  }
  if (r.chance(0.4)) {
    args.push('-E');
    if (r.chance(0.5)) args.push('-B', r.pick(['0x8', '0x200', '0x1000']));
    if (r.chance(0.3)) args.push('-p', r.pick(['0x4000', '0x100']));
  }
  args.push('out.itb');
  return { args, its, keyDtb };
}

describe.skipIf(!have)('mkimage FIT creation vs U-Boot 2023.01', () => {
  beforeAll(makeInputs, 60_000);
  const seed = Number(process.env.UIMG_FIT_SEED ?? 20231114);

  it('fit.md test vectors: kernel + 2 DTBs + ramdisk, with and without -E', () => {
    for (const e of [[], ['-E']]) {
      expectSame({ args: ['-f', 'auto', '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000',
        '-n', 'Linux kernel', '-d', 'kernel.bin', '-b', 'board-a.dtb', '-b', 'board-b.dtb', '-i', 'initrd.bin', ...e, 'out.itb'] });
    }
  });

  it('random -f auto invocations', () => {
    const r = rng(seed);
    for (let i = 0; i < 25; i++) expectSame(randomAuto(r));
  }, 120_000);

  it('random .its invocations (hashes, signatures, -K -r -c, -E -B -p)', () => {
    const r = rng(seed + 1);
    for (let i = 0; i < 30; i++) expectSame(randomIts(r));
  }, 180_000);

  it('errors: messages and exit codes as U-Boot', () => {
    const bad = (its: string, ...extra: string[]) => expectSame({ its, args: ['-f', 'x.its', ...extra, 'out.itb'] });
    const img = (body: string) => `/dts-v1/; / { description = "x"; images { k { data = [00 01 02]; ${body} }; }; configurations { default = "c"; c { kernel = "k"; }; }; };`;
    bad(img('hash-1 { algo = "sha3"; };'));
    bad(img('hash-1 { };'));
    bad('/dts-v1/; / { description = "x"; images { k { hash-1 { algo = "crc32"; }; }; }; };');
    bad('/dts-v1/; / { description = "x"; };');
    bad(img('signature-1 { algo = "sha256,rsa2048"; key-name-hint = "nokey"; };'), '-k', 'keys');
    bad(img('signature-1 { algo = "sha256,rsa1024"; key-name-hint = "dev"; };'), '-k', 'keys');
    bad(img('hash-1 { algo = "crc32"; };'), '-E', '-p', '0x10');
    bad(img('hash-1 { algo = "crc32"; };'), '-d', 'kernel.bin');
    expectSame({ args: ['-f', 'auto', 'out.itb'] });
    expectSame({ args: ['-f', 'auto', '-d', 'missing.bin', 'out.itb'] });
    expectSame({ args: ['-f', 'auto', '-d', 'kernel.bin', '-b', 'missing.dtb', 'out.itb'] });
    expectSame({ args: ['-f', 'auto', '-d', 'kernel.bin', '-g', 'dev', 'out.itb'] });
    expectSame({ args: ['-f', 'auto', '-d', 'kernel.bin', '-k', 'keys', '-g', 'nokey', '-o', 'sha256,rsa2048', 'out.itb'] });
  }, 60_000);
});
