/**
 * Differential tests: U-Boot 2023.01's own mkimage/dumpimage and ours, run on the same arguments, environment and
 * inputs in twin directories; exit code, stdout, stderr and every file written must agree. Where mkimage crashes or
 * leaves a broken file, ours must fail cleanly and leave nothing (the README lists those differences).
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCH, COMP, OS, TYPE } from '../src/index.js';
import { REAL_TOOLS_DIR, hasTool, maskOffsets, runOurs, runReal, tempDir, type Run } from './helpers.js';
import { skipped } from './skip.js';

const haveTools = hasTool(join(REAL_TOOLS_DIR, 'mkimage')) && hasTool(join(REAL_TOOLS_DIR, 'dumpimage'));
if (!haveTools) {
  skipped('differential', `U-Boot's mkimage/dumpimage not found in ${REAL_TOOLS_DIR} (apt-get install u-boot-tools)`);
}

type Tool = 'mkimage' | 'dumpimage';
interface Case { tool: Tool; args: string[]; env?: Record<string, string> }

const base = tempDir('uimg-diff-');
const inputs = join(base, 'in');
let counter = 0;

function makeInputs(): void {
  mkdirSync(inputs, { recursive: true });
  const w = (name: string, bytes: Uint8Array | string) => writeFileSync(join(inputs, name), bytes);
  for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 4095, 4096, 4097]) {
    w(`s${n}`, Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff));
  }
  w('gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 5, 6, 7]));
  w('boot.cmd', 'setenv bootargs console=ttyS0\nbootm 0x80008000\n');
  const xip = new Uint8Array(100).fill(0xff);
  xip.set(new TextEncoder().encode('XIP payload'), 64);
  w('xip.bin', xip);
  const xipBad = xip.slice();
  xipBad[10] = 0;
  w('xipbad.bin', xipBad);
  w('xip64.bin', new Uint8Array(64).fill(0xff));
  mkdirSync(join(inputs, 'adir'));
}

/** Images made by the real tool, plus broken copies, for the listing/extraction cases. */
function makeImages(): void {
  const make = (out: string, args: string[]) => {
    const r = runReal('mkimage', [...args, out], inputs, { SOURCE_DATE_EPOCH: '1700000000' });
    if (r.status !== 0) throw new Error(`fixture ${out}: ${r.stderr}`);
  };
  make('k.img', ['-A', 'arm', '-C', 'none', '-a', '0x80008000', '-n', 'kern', '-d', 's65']);
  make('m.img', ['-A', 'arm', '-T', 'multi', '-C', 'none', '-d', 's1:s6:s63:s4096']);
  make('sc.img', ['-A', 'arm', '-T', 'script', '-C', 'none', '-d', 'boot.cmd:s5']);
  make('e.img', ['-s', '-T', 'multi']);
  const k = readFileSync(join(inputs, 'k.img'));
  const edit = (name: string, f: (b: Buffer) => Buffer) => writeFileSync(join(inputs, name), f(Buffer.from(k)));
  edit('badmagic.img', (b) => { b[0] = 0; return b; });
  edit('badhcrc.img', (b) => { b[40] ^= 1; return b; });
  edit('baddcrc.img', (b) => { b[70] ^= 1; return b; });
  edit('trailing.img', (b) => Buffer.concat([b, Buffer.from([0xff])]));
  edit('cut.img', (b) => b.subarray(0, 100));
  edit('short.img', (b) => b.subarray(0, 40));
}

function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile()) out.set(f.name, readFileSync(join(dir, f.name)));
  return out;
}

function runBoth(c: Case): { real: Run; ours: Run; realDir: string; ourDir: string } {
  const id = counter++;
  const realDir = join(base, `r${id}`), ourDir = join(base, `o${id}`);
  cpSync(inputs, realDir, { recursive: true });
  cpSync(inputs, ourDir, { recursive: true });
  const env = c.env ?? { SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };
  return { real: runReal(c.tool, c.args, realDir, env), ours: runOurs(c.tool, c.args, ourDir, env), realDir, ourDir };
}

/** mkimage prints memory addresses in script Offset lines; mask them (their low 12 bits must still agree). */
const text = (b: Buffer) => maskOffsets(b.toString('latin1'));

function expectSame(c: Case): void {
  const { real, ours, realDir, ourDir } = runBoth(c);
  const label = `${c.tool} ${c.args.join(' ')} ${JSON.stringify(c.env ?? {})}`;
  expect({ status: ours.status, stdout: text(ours.stdout), stderr: ours.stderr.toString('latin1') }, label)
    .toEqual({ status: real.status, stdout: text(real.stdout), stderr: real.stderr.toString('latin1') });
  const realFiles = snapshot(realDir), ourFiles = snapshot(ourDir), before = snapshot(inputs);
  for (const [name, bytes] of ourFiles) {
    if (before.has(name)) expect(bytes.equals(before.get(name)!), `${label}: input ${name} changed`).toBe(true);
  }
  for (const [name, bytes] of realFiles) {
    if (before.has(name) && bytes.equals(before.get(name)!)) continue;
    if (real.status === 0) {
      expect(ourFiles.get(name)?.equals(bytes), `${label}: ${name} differs`).toBe(true);
    } else {
      // mkimage leaves partial or zero-filled outputs after errors; we leave the target as it was.
      expect(ourFiles.get(name)?.equals(before.get(name) ?? Buffer.alloc(0)) ?? true, `${label}: ${name} left behind`).toBe(true);
    }
  }
  const stray = [...ourFiles.keys()].filter((n) => n.endsWith('.tmp'));
  expect(stray, `${label}: temp files left`).toEqual([]);
}

const names = (t: { entries: readonly { name?: string }[] }) => t.entries.flatMap((e) => (e.name ? [e.name] : []));
const mk = (...args: string[]): Case => ({ tool: 'mkimage', args });

// Collection runs even for skipped suites, so the inputs (made partly by the real tool) are made in a hook.
beforeAll(() => {
  if (!haveTools) return;
  makeInputs();
  makeImages();
});

describe.skipIf(!haveTools)('differential: U-Boot 2023.01 mkimage vs ours', () => {
  describe('names', () => {
    it.each([...names(ARCH), 'ppc', 'ARM', 'PowerPC', 'list', 'nope'])('-A %s', (a) => expectSame(mk('-A', a, '-C', 'none', '-d', 's5', 'o.img')));
    it.each([...names(OS), 'LiNuX', 'list', 'nope'])('-O %s', (o) => expectSame(mk('-O', o, '-d', 's7', 'o.img')));
    it.each([...names(COMP), 'GZip', 'invalid', 'list'])('-C %s', (c) => expectSame(mk('-C', c, '-d', 's4', 'o.img')));
    const legacy = TYPE.entries.filter((e) => e.legacy || e.fitOnly || e.id === 0).map((e) => e.name!);
    it.each([...legacy, 'KERNEL', 'LIST', 'list', 'nope'])('-T %s', (t) => expectSame(mk('-A', 'arm', '-T', t, '-d', 's65', 'o.img')));
  });

  describe('payload sizes and layouts', () => {
    const sizes = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's63', 's64', 's65', 's4095', 's4096', 's4097'];
    it.each(sizes)('kernel %s', (s) => expectSame(mk('-A', 'arm', '-C', 'none', '-d', s, 'o.img')));
    it.each(sizes)('multi s1:%s:s3', (s) => expectSame(mk('-T', 'multi', '-d', `s1:${s}:s3`, 'o.img')));
    it.each(sizes)('script boot.cmd:%s', (s) => expectSame(mk('-T', 'script', '-d', `boot.cmd:${s}`, 'o.img')));
    it.each(sizes)('firmware_ivt %s', (s) => expectSame(mk('-T', 'firmware_ivt', '-a', '0x877ff400', '-d', s, 'o.img')));
    it.each([['-d', 's0'], ['-d', 'adir'], ['-d', 'missing'], ['-T', 'multi', '-d', 's1:s0:s2'], ['-T', 'multi', '-d', 's1:missing'],
      ['-T', 'multi', '-d', 's1:'], ['-T', 'multi', '-d', ':s1'], ['-T', 'multi', '-d', 's1::s2'], ['-T', 'multi', '-d', 'adir:s1'],
      ['-T', 'script', '-d', 's0'], ['-v', '-T', 'multi', '-d', 's1:s2:s0'], ['-v', '-d', 's5'], ['-v', '-T', 'script', '-d', 'boot.cmd:s3']])(
      'data %j', (...args) => expectSame(mk(...(args as string[]), 'o.img')));
    it.each([['-x', '-d', 'xip.bin'], ['-x', '-a', '0x1000', '-d', 'xip.bin'], ['-x', '-a', 'ffffffe0', '-d', 'xip.bin'],
      ['-x', '-e', '0', '-a', '0x1000', '-d', 'xip.bin'], ['-x', '-d', 'xipbad.bin'], ['-x', '-d', 's63'], ['-x', '-d', 's0'],
      ['-x', '-d', 'xip64.bin'], ['-x', '-T', 'ramdisk', '-d', 'xip.bin']])('xip %j', (...args) => expectSame(mk(...(args as string[]), 'o.img')));
    it.each([['-s', '-d', 's5'], ['-s', '-d', 's0'], ['-s', '-d', 'missing'], ['-s', '-T', 'multi'], ['-s', '-T', 'multi', '-d', 'missing'],
      ['-s', '-T', 'script', '-d', 'boot.cmd'], ['-O', 'tee', '-d', 's65'], ['-O', 'tee', '-d', 's5'], ['-O', 'tee', '-a', '1', '-e', '2', '-d', 's4096']])(
      'special %j', (...args) => expectSame(mk(...(args as string[]), 'o.img')));
  });

  describe('names, addresses, time', () => {
    const utf8 = 'ünïcødé-ñämé-ŵïth-mültîbytê-çhårs';
    it.each(['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(33), 'w'.repeat(64), utf8, 'héllo wörld', 'with space', 'tab\there'])(
      '-n %j', (n) => expectSame(mk('-A', 'arm', '-n', n, '-d', 's5', 'o.img')));
    it.each(['0x80008000', '0X80008000', '80008000', 'deadBEEF', 'DEADbeef', '123456789', '0x1FFFFFFFF', '', '10000000000000000',
      'FFFFFFFFFFFFFFFFFFFF', '-1', '-0x10', '+10', ' 10', '0x', 'x10', '10 ', '1_0', 'zz', '0'])(
      '-a/-e %j', (a) => {
        expectSame(mk('-a', a, '-d', 's5', 'o.img'));
        expectSame(mk('-a', '0x100', '-e', a, '-d', 's5', 'o.img'));
      });
    it.each(['', '0', 'abc', '0x10', '  123', '123abc', '1e5', '-1', '2147483648', '4294967295', '4294967296', '67767976233316800',
      '67768036191676799', '67768036191676800', '99999999999999999999', '9223372036854775807', '-67768040609740800', '-67768040609740801'])(
      'SOURCE_DATE_EPOCH=%j', (e) => expectSame({ tool: 'mkimage', args: ['-d', 's5', 'o.img'], env: { SOURCE_DATE_EPOCH: e, TZ: 'UTC' } }));
    it.each(['UTC', 'America/New_York', 'Asia/Kolkata', 'Europe/Berlin', 'Australia/Lord_Howe', '', 'Foo/Bar', 'EST5EDT', 'UTC+3',
      '<+0530>-5:30', ':Europe/Paris', 'CET-1CEST,M3.5.0,M10.5.0/3', 'NZST-12NZDT,M9.5.0,M4.1.0/3'])(
      'TZ=%j', (tz) => {
        for (const e of ['0', '1700000000', '1690000000', '4294967295']) {
          expectSame({ tool: 'mkimage', args: ['-l', 'k.img'], env: { SOURCE_DATE_EPOCH: e, TZ: tz } });
          expectSame({ tool: 'mkimage', args: ['-d', 's5', 'o.img'], env: { SOURCE_DATE_EPOCH: e, TZ: tz } });
        }
      });
  });

  describe('options and errors', () => {
    it.each([[], ['-V'], ['-V', '-A', 'foo'], ['-A', 'foo', '-V'], ['-h'], ['--help'], ['-z'], ['-a'], ['-A'], ['-l'], ['-lq', 'k.img'],
      ['--list', 'k.img'], ['--list=x', 'k.img'], ['--architecture'], ['--architecture', 'arm', '--compression=none', '--image', 's5', 'o.img'],
      ['--config', 'nm', '--load-address', '80000000', '--entry-point=80000040', '--os', 'linux', '--type', 'kernel', '-d', 's5', 'o.img'],
      ['o.img', '-A', 'arm', '-d', 's5'], ['-A', 'arm', '-d', 's5', '--', 'o.img'], ['-Aarm', '-Cnone', '-ds5', 'o.img'],
      ['-A', 'arm', 'o.img'], ['-T', 'script', 'o.img'], ['-T', 'script', '-l', 'sc.img'], ['-l', '-d', 's5', '-T', 'kernel', 'k.img'],
      ['-d', 's5', 'missingdir/o.img'], ['-d', 's5', 'adir'], ['-p', '0', '-d', 's5', 'o.img'], ['-p', 'zz', '-d', 's5', 'o.img'],
      ['-B', '8', '-d', 's5', 'o.img'], ['-B', 'zz', '-d', 's5', 'o.img'], ['-E', '-t', '-r', '-R', 'x', '-b', 'x', '-i', 'x', '-d', 's5', 'o.img'],
      ['-k', 'x', '-K', 'x', '-g', 'x', '-G', 'x', '-o', 'x', '-c', 'x', '-N', 'x', '-D', 'x', '-d', 's5', 'o.img'],
      ['-T', 'tee', '-d', 's5', 'o.img'], ['-T', 'fpga', '-d', 's5', 'o.img'], ['-T', 'x86_setup', '-d', 's5', 'o.img'],
      ['-A', 'arm', '-A', 'mips', '-d', 's4', '-d', 's5', 'o.img', 'extra']])(
      '%j', (...args) => expectSame(mk(...(args as string[]))));
  });

  describe('listing', () => {
    const images = ['k.img', 'm.img', 'sc.img', 'e.img', 'badmagic.img', 'badhcrc.img', 'baddcrc.img', 'trailing.img', 'cut.img',
      'short.img', 's0', 's63', 'adir', 'missing'];
    it.each(images)('mkimage -T kernel -l %s', (f) => expectSame(mk('-T', 'kernel', '-l', f)));
    it.each(images)('mkimage -T multi -q -l %s', (f) => expectSame(mk('-T', 'multi', '-q', '-l', f)));
    it.each(['k.img', 'm.img', 'sc.img', 'e.img', 's0', 'adir', 'missing'])('mkimage -l %s', (f) => expectSame(mk('-l', f)));
    it.each(images)('dumpimage -T script -l %s', (f) => expectSame({ tool: 'dumpimage', args: ['-T', 'script', '-l', f] }));
    it.each(['k.img', 'm.img', 'sc.img', 'missing', 'adir'])('dumpimage -l %s', (f) => expectSame({ tool: 'dumpimage', args: ['-l', f] }));
  });

  describe('dumpimage extraction and errors', () => {
    const d = (...args: string[]): Case => ({ tool: 'dumpimage', args });
    it.each([
      ['-T', 'multi', '-p', '0', '-o', 'x', 'm.img'], ['-T', 'kernel', '-p', '3', '-o', 'x', 'm.img'], ['-T', 'multi', '-p', '4', '-o', 'x', 'm.img'],
      ['-T', 'multi', '-p', '-1', '-o', 'x', 'm.img'], ['-T', 'multi', '-p', '4294967297', '-o', 'x', 'm.img'], ['-T', 'multi', '-p', '', '-o', 'x', 'm.img'],
      ['-T', 'kernel', '-o', 'x', 'k.img'], ['-T', 'kernel', '-p', '5', '-o', 'x', 'k.img'], ['-T', 'script', '-o', 'x', 'sc.img'],
      ['-T', 'script', '-p', '1', '-o', 'x', 'sc.img'], ['-T', 'kernel', '-o', 'x', 'baddcrc.img'], ['-T', 'kernel', '-o', 'x', 'badmagic.img'],
      ['-T', 'kernel', '-o', 'x', 'short.img'], ['-T', 'kernel', '-o', 'missingdir/x', 'm.img'], ['-T', 'tee', '-o', 'x', 'k.img'],
      ['-o', 'x', 'k.img'], ['-T', 'nope', '-o', 'x', 'k.img'], ['-T', 'list', '-l', 'k.img'], ['-T', 'kernel', '-o', 'x', 'missing'],
      ['-l'], ['-o', 'x'], ['k.img'], ['-l', '-o', 'x', 'k.img'], ['-h'], ['-z'], ['-V'], [],
    ])('%j', (...args) => expectSame(d(...(args as string[]))));
  });

  describe('random invocations', () => {
    // A seeded generator over every legacy option, so failures reproduce.
    let seed = 20231114;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)]!;
    const data = ['s1', 's2', 's3', 's4', 's5', 's63', 's64', 's65', 's4097', 'gz', 'boot.cmd', 'xip.bin', 's0', 'missing'];
    const legacyTypes = TYPE.entries.filter((e) => e.legacy).map((e) => e.name!);
    const cases: Case[] = [];
    for (let i = 0; i < 120; i++) {
      const args: string[] = [];
      const type = pick(legacyTypes);
      const multi = type === 'multi' || type === 'script';
      const opts: (() => void)[] = [
        () => args.push('-A', pick([...names(ARCH), 'ppc'])), () => args.push('-O', pick(names(OS))),
        () => args.push('-C', pick(names(COMP))), () => args.push('-T', type),
        () => args.push('-a', pick(['0', '80008000', '0x40008000', 'ffffffff', '1'])),
        () => args.push('-e', pick(['0', '80008040', '0x1000'])), () => args.push('-n', pick(['', 'name', 'x'.repeat(40)])),
        () => args.push('-v'), () => args.push('-q'), () => args.push(...(multi ? [] : ['-x'])),
      ];
      for (const o of opts) if (rnd(2)) o();
      args.push('-d', multi ? Array.from({ length: 1 + rnd(3) }, () => pick(data.slice(0, 11))).join(':') : pick(data));
      // GNU permutation: the output name may come anywhere.
      args.splice(rnd(args.length + 1), 0, 'o.img');
      if (multi && args.includes('-x')) continue;
      cases.push({ tool: 'mkimage', args, env: { SOURCE_DATE_EPOCH: String(rnd(2 ** 31)), TZ: pick(['UTC', 'Asia/Kolkata', 'EST5EDT']) } });
    }
    it.each(cases.map((c, i) => [i, c] as const))('#%i', (_, c) => expectSame(c));
  });
});

describe.skipIf(!haveTools)('differential: where mkimage misbehaves, ours fails cleanly', () => {
  const ours = (args: string[], cwd = inputs) => runOurs('mkimage', args, cwd, { SOURCE_DATE_EPOCH: '0', TZ: 'UTC' });
  const oneLineError = (r: Run) => {
    expect(r.status).not.toBe(0);
    const lines = r.stderr.toString().trimEnd().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^mkimage: /);
  };

  it('unknown or abbreviated long options: mkimage segfaults, ours errors', () => {
    for (const opt of ['--name', '--arch', '--ver']) {
      expect(runReal('mkimage', [opt, 'x'], inputs).status).toBe(139);
      oneLineError(ours([opt, 'x']));
    }
  });

  it('-T multi without -d: mkimage segfaults, ours errors and writes nothing', () => {
    const dir = tempDir();
    expect(runReal('mkimage', ['-T', 'multi', 'o.img'], dir).status).toBe(139);
    rmSync(join(dir, 'o.img'), { force: true });
    oneLineError(ours(['-T', 'multi', 'o.img'], dir));
    expect(existsSync(join(dir, 'o.img'))).toBe(false);
  });

  it('a 63-byte prefix: mkimage -l dies of SIGBUS, ours reports the size', () => {
    writeFileSync(join(inputs, 'p63.img'), readFileSync(join(inputs, 'k.img')).subarray(0, 63));
    expect(runReal('mkimage', ['-l', 'p63.img'], inputs).status).toBe(135);
    oneLineError(ours(['-l', 'p63.img']));
  });

  it.each(['baddcrc.img', 'badhcrc.img', 'trailing.img', 'badmagic.img'])('-l %s without -T: mkimage says "GP Header" and exit 0; ours refuses', (f) => {
    const real = runReal('mkimage', ['-l', f], inputs);
    expect(real.stdout.toString()).toMatch(/^GP Header/);
    expect(real.status).toBe(0);
    const r = ours(['-l', f]);
    oneLineError(r);
    expect(r.stderr.toString()).toContain(f);
    expect(r.stdout.length).toBe(0);
  });

  it('the same file as -d and output: mkimage destroys the input, ours builds the image', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'payload!');
    const r = ours(['-A', 'arm', '-C', 'none', '-d', 'f', 'f'], dir);
    expect(r.status).toBe(0);
    const out = readFileSync(join(dir, 'f'));
    expect(out.length).toBe(64 + 8);
    expect(out.subarray(64).toString()).toBe('payload!');
  });

  it('-x with a multi image: mkimage writes an inconsistent size table, ours refuses', () => {
    oneLineError(ours(['-x', '-T', 'multi', '-d', 'xip.bin:xip.bin', 'o-xm.img']));
    expect(existsSync(join(inputs, 'o-xm.img'))).toBe(false);
  });

  it('script Offset lines give the real file offset (mkimage prints a memory address with the same low 12 bits)', () => {
    const r = runOurs('mkimage', ['-l', 'sc.img'], inputs, { TZ: 'UTC' });
    const cmdLength = readFileSync(join(inputs, 'boot.cmd')).length;
    const expected = 64 + 12 + Math.ceil(cmdLength / 4) * 4;
    expect(r.stdout.toString()).toContain(`    Offset = 0x${expected.toString(16).padStart(8, '0')}\n`);
  });
});
