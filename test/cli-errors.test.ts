/**
 * The error standard, for every uimg command: a missing file, a directory, an empty file, garbage or a truncated
 * file, a bad flag value, an output in a missing directory, and an output that is the input. Each must give its exit
 * code (2 usage, 3 I/O, 4 invalid), exactly one stderr line naming the file or flag (no stack frame), and leave the
 * folder exactly as it was: no output, no temporary file, no changed input.
 *
 * Spawning node costs ~150 ms, so the cases run in one child process that calls the CLI's main (what bin/uimg.js
 * runs) once per case and checks the folder around each; a few cases also go through the real bin.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runOurs, tempDir } from './helpers.js';
import { fakeShZImage } from './sh-zimage-fake.js';

/** What a case expects: the exit code and what its one stderr line must name. */
interface Case {
  name: string;
  args: string[];
  code: 2 | 3 | 4;
  names: string;
}

const W = tempDir('uimg-cli-errors-');
const at = (name: string) => join(W, name);

/** Deterministic junk (no magic of any format at any offset that matters). */
function garbage(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function setUp(): void {
  mkdirSync(at('images'));
  for (const f of ['uImage', 'zImage', 'board.dtb', 'bootstrap.bin']) copyFileSync(join(FIXTURES, 'layouts/images', f), at(`images/${f}`));
  copyFileSync(join(FIXTURES, 'layouts/layout-sound.json'), at('layout.json'));
  for (const f of ['uImage', 'zImage', 'board.dtb']) copyFileSync(at(`images/${f}`), at(f));
  copyFileSync(join(FIXTURES, 'inspect/image-arm64.bin'), at('Image'));
  copyFileSync(join(FIXTURES, 'inspect/uimage-multi.img'), at('multi.img'));
  mkdirSync(at('multi.img.part1'));
  writeFileSync(at('sh-zImage'), fakeShZImage());
  copyFileSync(join(FIXTURES, 'cpio/sample.cpio'), at('sample.cpio'));
  copyFileSync(join(FIXTURES, 'romimage/kfr2r09-partner-jet-setup.txt'), at('script.txt'));
  writeFileSync(at('uImage.trunc'), new Uint8Array(execFileSync('head', ['-c', '100', at('uImage')])));
  writeFileSync(at('cpio.trunc'), new Uint8Array(execFileSync('head', ['-c', '200', at('sample.cpio')])));
  writeFileSync(at('init.sh'), '#!/bin/sh\nexec sh\n');
  writeFileSync(at('initramfs.list'), `file /init ${at('init.sh')} 0755 0 0\n`);
  mkdirSync(at('rootfs'));
  writeFileSync(at('rootfs/init'), '#!/bin/sh\n');
  mkdirSync(at('emptydir'));
  mkdirSync(at('conflict'));
  writeFileSync(at('conflict/init'), 'mine\n');
  writeFileSync(at('env.txt'), 'bootcmd=bootm 0x22000000\nbootdelay=1\n');
  writeFileSync(at('garbage'), garbage(3000));
  writeFileSync(at('empty'), '');
  mkdirSync(at('dir'));
  mkdirSync(at('ok'));
}

const MISSING = at('missing');
const NO_DIR_OUT = at('nodir/out');

/**
 * Every command, as a function of its input and output paths (valid ones by default), with the flag whose bad value
 * is tried. `garbage` is the input that command must refuse as invalid (its own kind of junk or a cut-off file).
 */
interface Command {
  name: string;
  run(input: string, output: string): string[];
  input: string;
  /** The command has no file input (kexec kit): `input` is only a file in the way of its output directory. */
  noInput?: true;
  /** Absent: any bytes are valid input (create). */
  garbage?: string;
  /** An empty file is an answer, not an error (inspect says "empty", as file(1); uboot-env writes an empty environment, as mkenvimage). */
  emptyIsAnswer?: true;
  /** Absent: the command writes nothing. */
  output?: string;
  badFlag: [string[], string];
}

const RAM = ['--ram-base', '0x20000000', '--ram-size', '128M'];
const COMMANDS: Command[] = [
  { name: 'create', run: (i, o) => ['create', i, '-o', o, '-A', 'arm', '-C', 'none'], input: at('zImage'), output: 'ok/x.img',
    badFlag: [['create', at('zImage'), '-o', at('x.img'), '--time', 'soon'], '--time'] },
  { name: 'list', run: (i) => ['list', i], input: at('uImage'), garbage: at('uImage.trunc'), badFlag: [['list', at('uImage'), '--format', 'xml'], 'format'] },
  { name: 'verify', run: (i) => ['verify', i], input: at('uImage'), garbage: at('uImage.trunc'), badFlag: [['verify', at('uImage'), '--nope'], 'nope'] },
  { name: 'extract', run: (i, o) => ['extract', i, '-o', o], input: at('uImage'), garbage: at('uImage.trunc'), output: 'ok/x.data',
    badFlag: [['extract', at('uImage'), '-p', 'one', '-o', at('x.data')], '--part'] },
  { name: 'inspect --strict', run: (i) => ['inspect', '--strict', i], input: at('uImage'), garbage: at('uImage.trunc'), emptyIsAnswer: true,
    badFlag: [['inspect', '--max-bytes', '0', at('uImage')], '--max-bytes'] },
  { name: 'cpio -t', run: (i) => ['cpio', '-t', i], input: at('sample.cpio'), garbage: at('cpio.trunc'), badFlag: [['cpio', '-t', at('sample.cpio'), '--owner', '0:0'], '--owner'] },
  { name: 'cpio -x', run: (i, o) => ['cpio', '-x', i, '-C', o], input: at('sample.cpio'), garbage: at('cpio.trunc'), output: 'ok/tree',
    badFlag: [['cpio', '-x', at('sample.cpio'), '-C', at('tree'), '--owner', '0'], '--owner'] },
  { name: 'cpio --list', run: (i, o) => ['cpio', '--list', i, '-o', o], input: at('initramfs.list'), garbage: at('garbage'), output: 'ok/x.cpio',
    badFlag: [['cpio', '--list', at('initramfs.list'), '--mtime', 'today', '-o', at('x.cpio')], '--mtime'] },
  { name: 'kexec plan', run: (i) => ['kexec', 'plan', i, '--dtb', at('board.dtb'), ...RAM], input: at('uImage'), garbage: at('garbage'),
    badFlag: [['kexec', 'plan', at('uImage'), '--dtb', at('board.dtb'), '--ram-base', '0x20000000', '--ram-size', '128Q'], '--ram-size'] },
  { name: 'kexec plan --dtb', run: (i) => ['kexec', 'plan', at('uImage'), '--dtb', i, ...RAM], input: at('board.dtb'), garbage: at('garbage'),
    badFlag: [['kexec', 'plan', at('uImage'), '--dtb', at('board.dtb'), ...RAM, '--page-size', '0'], '--page-size'] },
  { name: 'kexec plan --layout', run: (i) => ['kexec', 'plan', '--layout', i], input: at('layout.json'), garbage: at('garbage'),
    badFlag: [['kexec', 'plan', '--layout', at('layout.json'), '--mem-min', '-1'], '--mem-min'] },
  { name: 'kexec kit', run: (_, o) => ['kexec', 'kit', '--arch', 'arm', '--kernel', '/boot/zImage', '--media', '/dev/mmcblk0p1', '-o', o], input: at('zImage'), noInput: true, output: 'ok/kit',
    badFlag: [['kexec', 'kit', '--arch', 'arm', '--kernel', '/boot/zImage', '--media', '/dev/mmcblk0p1', '--wait', 'forever', '-o', at('kit')], '--wait'] },
  { name: 'loader kexec', run: (_, o) => ['loader', 'kexec', '--arch', 'arm64', '--kernel', '/Image', '--media', 'LABEL=boot', '-o', o], input: at('zImage'), noInput: true, output: 'ok/kit2',
    badFlag: [['loader', 'kexec', '--arch', 'arm64', '--kernel', '/Image', '--media', 'LABEL=boot', '--timeout', '1h', '-o', at('kit')], '--timeout'] },
  { name: 'layout check', run: (i) => ['layout', 'check', i], input: at('layout.json'), garbage: at('garbage'), badFlag: [['layout', 'check', at('layout.json'), '--colour'], 'colour'] },
  { name: 'layout map', run: (i, o) => ['layout', 'map', i, '--svg', o], input: at('layout.json'), garbage: at('garbage'), output: 'ok/map.svg',
    badFlag: [['layout', 'map', at('layout.json'), '--svg', ''], '--svg'] },
  { name: 'flash', run: (i, o) => ['flash', i, '-o', o], input: at('layout.json'), garbage: at('garbage'), output: 'ok/flash.bin',
    badFlag: [['flash', at('layout.json')], 'output'] },
  { name: 'loader uboot-env', run: (i, o) => ['loader', 'uboot-env', '--from', i, '--env-size', '0x40', '-o', o], input: at('env.txt'), garbage: at('garbage'), output: 'ok/env.bin', emptyIsAnswer: true,
    badFlag: [['loader', 'uboot-env', '--from', at('env.txt'), '--env-size', '0x2000', '--pad-byte', '256', '-o', at('env.bin')], '--pad-byte'] },
  { name: 'loader at91bootstrap', run: (i, o) => ['loader', 'at91bootstrap', '--kernel', i, '--media', 'nand', '--img-address', '0x80000', '--jump-addr', '0x22000000', '-o', o],
    input: at('uImage'), garbage: at('garbage'), output: 'ok/at91.config',
    badFlag: [['loader', 'at91bootstrap', '--kernel', at('uImage'), '--media', 'nand', '--img-address', 'x80000', '--jump-addr', '0x22000000', '-o', at('a.config')], '--img-address'] },
  { name: 'loader c-header', run: (i, o) => ['loader', 'c-header', '--kernel', i, '--img-address', '0x80000', '-o', o], input: at('uImage'), garbage: at('garbage'), output: 'ok/boot.h',
    badFlag: [['loader', 'c-header', '--kernel', at('uImage'), '--img-address', '0x80000', '--ram-base', '0x20000000', '--ram-size', '0', '-o', at('boot.h')], '--ram-size'] },
  { name: 'loader spl-falcon', run: (i, o) => ['loader', 'spl-falcon', '--layout', i, '-o', o], input: at('layout.json'), garbage: at('garbage'), output: 'ok/falcon.txt',
    badFlag: [['loader', 'spl-falcon', '--layout', at('layout.json'), '-o', ''], '--output'] },
  { name: 'romimage sh', run: (i, o) => ['romimage', 'sh', '--zimage', i, '-o', o], input: at('sh-zImage'), garbage: at('garbage'), output: 'ok/sh.rom',
    badFlag: [['romimage', 'sh', '--zimage', at('zImage'), '--raw-payload', '--page-size', '3K', '-o', at('sh.rom')], '--page-size'] },
  { name: 'romimage sh --script', run: (i, o) => ['romimage', 'sh', '--zimage', at('zImage'), '--raw-payload', '--script', i, '-o', o], input: at('script.txt'), garbage: at('garbage'), output: 'ok/sh2.rom',
    badFlag: [['romimage', 'sh', '--zimage', at('zImage'), '--raw-payload', '--root-device', '0x10000', '-o', at('sh.rom')], '--root-device'] },
  { name: 'romimage arm', run: (i, o) => ['romimage', 'arm', '--zimage', i, '--ram-base', '0x40000000', '--dtb', at('board.dtb'), '-o', o], input: at('zImage'), garbage: at('garbage'), output: 'ok/arm.rom',
    badFlag: [['romimage', 'arm', '--zimage', at('zImage'), '--ram-base', '0x1_0000', '-o', at('arm.rom')], '--ram-base'] },
  { name: 'romimage arm --dtb', run: (i, o) => ['romimage', 'arm', '--zimage', at('zImage'), '--ram-base', '0x40000000', '--dtb', i, '-o', o], input: at('board.dtb'), garbage: at('garbage'), output: 'ok/arm2.rom',
    badFlag: [['romimage', 'arm', '--zimage', at('zImage'), '--ram-base', '0x40000000', '--dtb-size=-4K', '-o', at('arm.rom')], '--dtb-size'] },
  { name: 'romimage arm64', run: (i, o) => ['romimage', 'arm64', '--zimage', i, '--ram-base', '0x40000000', '--dtb-address', '0x40000000', '-o', o], input: at('Image'), garbage: at('garbage'), output: 'ok/a64.rom',
    badFlag: [['romimage', 'arm64', '--zimage', at('Image'), '--ram-base', '0x1000000000000', '-o', at('a64.rom')], '--ram-base'] },
  { name: 'romimage script', run: (i, o) => ['romimage', 'script', i, '--emit', 'romimage.h', '-o', o], input: at('script.txt'), garbage: at('garbage'), output: 'ok/romimage.h',
    badFlag: [['romimage', 'script', at('script.txt'), '--memory-start', '0x1_0000000'], '--memory-start'] },
];

/** The failing cases of one command; `valid` is the run that must succeed (its output goes to ok/, outside the check). */
function casesOf(c: Command): Case[] {
  const out = at('out');
  const cases: Case[] = [];
  const add = (what: string, args: string[], code: Case['code'], names: string) => cases.push({ name: `${c.name}: ${what}`, args, code, names });
  if (!c.noInput) {
    add('a missing file', c.run(MISSING, out), 3, MISSING);
    add('a directory', c.run(at('dir'), out), 3, at('dir'));
    if (!c.emptyIsAnswer) add('an empty file', c.run(at('empty'), out), 4, at('empty'));
    if (c.garbage !== undefined) add('garbage or a cut-off file', c.run(c.garbage, out), 4, c.garbage);
  }
  add('a bad flag value', c.badFlag[0], 2, c.badFlag[1]);
  if (c.output !== undefined) {
    add('an output in a missing directory', c.run(c.input, NO_DIR_OUT), 3, NO_DIR_OUT);
    // An output directory (kexec kit -o, cpio -x -C) that is a file is an I/O error; an output file that is the input, a usage one.
    const intoDirectory = c.noInput || c.name === 'cpio -x';
    add(intoDirectory ? 'a file as the output directory' : 'the input as the output', c.run(c.input, c.input), intoDirectory ? 3 : 2, c.input);
  }
  return cases;
}

// More input paths than the table's: the images a layout names, a directory to archive.
const EXTRA_CASES: Case[] = [
  { name: 'cpio --dir: a missing directory', args: ['cpio', '--dir', MISSING, '-o', at('x.cpio')], code: 3, names: MISSING },
  { name: 'cpio --dir: a file', args: ['cpio', '--dir', at('garbage'), '-o', at('x.cpio')], code: 3, names: at('garbage') },
  { name: 'cpio --dir: an empty directory', args: ['cpio', '--dir', at('emptydir'), '-o', at('x.cpio')], code: 4, names: at('emptydir') },
  { name: 'cpio --dir: the output inside the directory it archives is fine, an output in a missing one is not', args: ['cpio', '--dir', at('rootfs'), '-o', NO_DIR_OUT], code: 3, names: NO_DIR_OUT },
  { name: 'cpio --list: an output that is a file the list archives', args: ['cpio', '--list', at('initramfs.list'), '-o', at('init.sh')], code: 2, names: at('init.sh') },
  { name: 'flash: an output that is an image the layout names', args: ['flash', at('layout.json'), '-o', at('images/uImage')], code: 2, names: at('images/uImage') },
  { name: 'cpio -x: an entry that would replace a file', args: ['cpio', '-x', at('sample.cpio'), '-C', at('conflict')], code: 3, names: `${at('conflict/init')}: already exists` },
  { name: 'extract --all: no part is written when one cannot be', args: ['extract', at('multi.img'), '--all'], code: 3, names: at('multi.img.part1') },
  { name: 'inspect: a bad --load-addr', args: ['inspect', '--load-addr', 'high', at('uImage')], code: 2, names: '--load-addr' },
  { name: 'kexec plan: no RAM', args: ['kexec', 'plan', at('uImage'), '--dtb', at('board.dtb')], code: 2, names: '--ram-base' },
  { name: 'kexec plan: --initrd a directory', args: ['kexec', 'plan', at('uImage'), '--dtb', at('board.dtb'), ...RAM, '--initrd', at('dir')], code: 3, names: at('dir') },
  { name: 'create: an empty second part', args: ['create', at('zImage'), at('empty'), '-T', 'multi', '-A', 'arm', '-C', 'none', '-o', at('x.img')], code: 4, names: at('empty') },
];

const VALID = COMMANDS.filter((c) => c.output !== undefined).map((c) => ({ name: c.name, args: c.run(c.input, at(c.output!)) }));
const CASES = [...COMMANDS.flatMap(casesOf), ...EXTRA_CASES];

interface Result {
  code: number | 'threw' | 'hung';
  stdout: string;
  stderr: string;
  /** Files added, removed or changed in the folder (ok/ aside). */
  changed: string[];
}

/** Runs in the child: each case through uimgMain, with the folder's contents compared before and after. */
const DRIVER = `
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
const { uimgMain } = await import(process.env.UIMG_MAIN);
const [dir, cases] = JSON.parse(readFileSync(0, 'utf8'));
function snapshot(root) {
  const files = new Map();
  const walk = (rel) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? rel + '/' + name : name;
      if (path === 'ok') continue;
      const st = lstatSync(join(root, path));
      if (st.isDirectory()) { files.set(path + '/', String(st.mode)); walk(path); }
      else if (st.isSymbolicLink()) files.set(path, '-> ' + readlinkSync(join(root, path)));
      else if (st.isFile()) files.set(path, st.mode + ':' + createHash('sha1').update(readFileSync(join(root, path))).digest('hex'));
      else files.set(path, String(st.mode));
    }
  };
  walk('');
  return files;
}
const out = process.stdout.write.bind(process.stdout);
const results = [];
for (const args of cases) {
  const before = snapshot(dir);
  let stdout = '', stderr = '';
  const io = { stdout: (d) => { stdout += typeof d === 'string' ? d : Buffer.from(d).toString(); }, stderr: (d) => { stderr += String(d); } };
  // Anything that bypasses the CLI's own output (a library printing, yargs) is caught too.
  process.stdout.write = (d) => { stdout += String(d); return true; };
  process.stderr.write = (d) => { stderr += String(d); return true; };
  let code;
  try {
    code = await Promise.race([uimgMain('uimg', args, { PATH: process.env.PATH }, io), new Promise((r) => setTimeout(() => r('hung'), 20000).unref())]);
  } catch (e) {
    code = 'threw';
    stderr += String(e && e.stack);
  }
  process.stdout.write = out;
  const after = snapshot(dir);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  results.push({ code, stdout, stderr, changed });
}
out(JSON.stringify(results));
`;

function runBatch(cases: string[][]): Result[] {
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', DRIVER], {
    cwd: W, input: JSON.stringify([W, cases]), maxBuffer: 1 << 26,
    env: { PATH: process.env.PATH!, UIMG_MAIN: pathToFileURL(join(ROOT, 'dist/cli/uimg/index.js')).href },
  });
  return JSON.parse(stdout.toString()) as Result[];
}

let valid: Result[];
let results: Result[];

beforeAll(() => {
  setUp();
  const all = runBatch([...VALID.map((v) => v.args), ...CASES.map((c) => c.args)]);
  valid = all.slice(0, VALID.length);
  results = all.slice(VALID.length);
});

describe('every uimg command fails cleanly', () => {
  it('inspect answers "empty" for an empty file, as file(1) does', () => {
    const r = runBatch([['inspect', '--strict', at('empty')]])[0]!;
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${at('empty')}:\n  empty (0 bytes)\n`]);
  });

  it.each(VALID.map((v, i) => [v.name, i] as const))('%s works with good inputs (so the failures below are about what they change)', (_, i) => {
    expect(valid[i]!.stderr.replace(/^uimg: warning: .*\n/gm, '')).toBe('');
    expect(valid[i]!.code).toBe(0);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_, i) => {
    const c = CASES[i]!;
    const r = results[i]!;
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^uimg: /);
    expect(lines[0]).not.toMatch(/^\s+at |\n\s+at /);
    expect(lines[0]).toContain(c.names);
    expect(r.code, lines[0]).toBe(c.code);
    expect(r.changed, 'the folder changed').toEqual([]);
  });
});

describe('with --json, the error is the JSON on stdout', () => {
  it.each([
    [['kexec', 'plan', at('garbage'), '--dtb', at('board.dtb'), ...RAM, '--json'], 4, 'UNSUPPORTED_TYPE'],
    [['cpio', '-t', at('empty'), '--json'], 4, 'EMPTY_INPUT'],
    [['romimage', 'arm', '--zimage', at('zImage'), '--ram-base', 'nowhere', '-o', at('r.rom'), '--json'], 2, 'BAD_VALUE'],
  ] as const)('%j', (args, code, errorCode) => {
    const [r] = runBatch([[...args]]);
    expect(r!.stderr).toBe('');
    expect(JSON.parse(r!.stdout)).toMatchObject({ schemaVersion: 1, ok: false, error: { code: errorCode } });
    expect([r!.code, r!.changed]).toEqual([code, []]);
  });

  it('list and verify, which go on file by file, put the error in the file\'s own entry', () => {
    const [list, verify] = runBatch([['list', at('dir'), '--format', 'json'], ['verify', at('dir'), '--json']]);
    expect(JSON.parse(list!.stdout)).toMatchObject({ schemaVersion: 1, ok: false, images: [{ file: at('dir'), error: { code: 'NOT_A_FILE' } }] });
    expect(JSON.parse(verify!.stdout)).toMatchObject({ schemaVersion: 1, ok: false, results: [{ file: at('dir'), ok: false, error: { code: 'NOT_A_FILE' } }] });
    expect([list!.stderr, list!.code, verify!.code]).toEqual(['', 3, 3]);
  });
});

describe('through the real bin', () => {
  it.each([
    [['list', at('dir')], 3, `uimg: ${at('dir')}: is a directory, not a file (hint: name a file inside it)\n`],
    [['create', at('zImage'), '-o', at('zImage'), '-A', 'arm', '-C', 'none'], 2, `uimg: --output: '${at('zImage')}' is the input ${at('zImage')}: uimg never writes over its input (hint: write to another file, then rename it)\n`],
    [['list', at('uImage'), '--format', 'xml'], 2, `uimg: --format: 'xml' is not one of text, json, mkimage (hint: see 'uimg list --help')\n`],
  ] as const)('%j: exit %i, one line', (args, code, line) => {
    const r = runOurs('uimg', [...args], W);
    expect(r.stderr.toString()).toMatch(typeof line === 'string' ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : line);
    expect(r.status).toBe(code);
  });
});
