/**
 * Output a pipeline can trust (issue 12, item 1): uimg never reports what did not happen. A check that did not run
 * is `skipped`, data on stdout is never mixed with a report, a flag that needs a value gets one, an output directory
 * is honoured or the command fails, and a multi-file command goes on file by file.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from './helpers.js';
import { skipUnless } from './skip.js';
import { uimgIn } from './uimg-run.js';

const W = tempDir('uimg-truth-');
const at = (name: string) => join(W, name);

/** Deterministic noise: no uImage magic. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

writeFileSync(at('random.bin'), noise(4096));
copyFileSync(join(FIXTURES, 'layouts/images/uImage'), at('uImage'));
copyFileSync(join(FIXTURES, 'mkimage/multi.img'), at('multi.img'));
copyFileSync(join(FIXTURES, 'mkimage/tv1.img'), at('tv1.img'));
copyFileSync(join(FIXTURES, 'cpio/sample.cpio'), at('sample.cpio'));
writeFileSync(at('hello.txt'), 'hello world\n');
const whole = readFileSync(at('uImage'));
// A uImage cut to 3/5 of its length, as an interrupted copy leaves it.
writeFileSync(at('uImage.cut'), whole.subarray(0, Math.floor(whole.length * 3 / 5)));

interface JsonCheck { check: string; status: string; reason?: string; error?: { code: string } }
const checksOf = (stdout: Buffer, i = 0) => (JSON.parse(stdout.toString()).results[i].checks as JsonCheck[]);
const statusOf = (checks: JsonCheck[]) => Object.fromEntries(checks.map((c) => [c.check, c.status]));

describe('uimg verify: a check that did not run is skipped, and each error is printed once', () => {
  it('4 KiB of noise: magic FAIL, and nothing after it claims OK (text and JSON)', async () => {
    const text = await uimgIn(['verify', at('random.bin')]);
    expect(text.code).toBe(4);
    expect(text.stdout.toString()).toBe([
      'magic: FAIL', 'header-crc: SKIPPED (the magic is wrong)',
      ...['size', 'data-crc', 'trailing-bytes'].map((c) => `${c}: SKIPPED (the magic is wrong: the header's fields cannot be trusted)`),
    ].map((l) => `${at('random.bin')}: ${l}\n`).join(''));
    const all = text.stdout.toString() + text.stderr;
    expect(all.match(/bad magic/g)).toHaveLength(1);
    expect(text.stderr.split('\n').filter((l) => l)).toHaveLength(1);

    const json = await uimgIn(['verify', at('random.bin'), '--json']);
    expect(json.code).toBe(4);
    expect(statusOf(checksOf(json.stdout))).toEqual({ magic: 'fail', 'header-crc': 'skipped', size: 'skipped', 'data-crc': 'skipped', 'trailing-bytes': 'skipped' });
    expect(json.stderr).toBe('');
  });

  it('a uImage cut to 3/5: size fails, and the data CRC is skipped, not ok', async () => {
    const json = await uimgIn(['verify', at('uImage.cut'), '--json']);
    expect(json.code).toBe(4);
    const checks = checksOf(json.stdout);
    expect(statusOf(checks)).toEqual({ magic: 'ok', 'header-crc': 'ok', size: 'fail', 'data-crc': 'skipped', 'trailing-bytes': 'ok' });
    expect(checks.find((c) => c.check === 'data-crc')!.reason).toMatch(/bytes of the data are missing/);
    const text = await uimgIn(['verify', at('uImage.cut')]);
    expect(text.stdout.toString()).toContain('data-crc: SKIPPED');
    expect((text.stdout.toString() + text.stderr).match(/data size says/g)).toHaveLength(1);
  });

  it('a sound image: every check OK', async () => {
    const r = await uimgIn(['verify', at('uImage'), '--json']);
    expect([r.code, Object.values(statusOf(checksOf(r.stdout)))]).toEqual([0, ['ok', 'ok', 'ok', 'ok', 'ok']]);
  });

  const bootFiles = existsSync('/usr/lib/u-boot')
    ? execFileSync('find', ['/usr/lib/u-boot', '-type', 'f']).toString().split('\n').filter((f) => f).sort() : [];
  it.skipIf(skipUnless(bootFiles.length > 0, 'uimg-truth', 'no /usr/lib/u-boot (apt-get install u-boot-qemu)'))(
    'every boot file of Debian\'s u-boot-qemu (none a uImage): FAIL, then nothing but skipped checks', async () => {
      const r = await uimgIn(['verify', ...bootFiles, '--json']);
      expect(r.code).toBe(4);
      const results = JSON.parse(r.stdout.toString()).results as { file: string; checks: JsonCheck[] }[];
      expect(results.map((x) => x.file)).toEqual(bootFiles);
      for (const x of results) {
        expect(x.checks[0]).toMatchObject({ check: 'magic', status: 'fail' });
        expect(x.checks.slice(1).map((c) => c.status), x.file).toEqual(x.checks.slice(1).map(() => 'skipped'));
      }
    });
});

describe('data on stdout is never mixed with a report', () => {
  it.each([
    ['create', ['create', at('hello.txt'), '-o', '-', '-A', 'arm', '-C', 'none', '--json']],
    ['extract', ['extract', at('tv1.img'), '-o', '-', '--json']],
    ['cpio', ['cpio', '--dir', W, '-o', '-', '--json']],
    ['uboot-env', ['loader', 'uboot-env', '--from', at('hello.txt'), '--env-size', '0x100', '-o', '-', '--json']],
  ])('%s -o - --json: refused (exit 2), stdout is the JSON error alone', async (_, args) => {
    const r = await uimgIn(args);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout.toString());
    expect(out).toMatchObject({ ok: false, error: { code: 'USAGE', data: { field: 'output' } } });
  });

  it('create -o - alone streams the image and nothing else', async () => {
    const r = await uimgIn(['create', at('hello.txt'), '-o', '-', '-A', 'arm', '-C', 'none', '-a', '80008000', '-n', 'Linux-6.1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(readFileSync(at('tv1.img')));
  });
});

describe('a flag that needs a value and gets none is an error, everywhere', () => {
  it.each([
    [['create', at('hello.txt'), '-o', at('x.img'), '-A', 'arm', '--load', '--name', 'foo'], '--load'],
    [['create', at('hello.txt'), '-o', at('x.img'), '-A', 'arm', '-a'], '-a'],
    [['create', at('hello.txt'), '-o', at('x.img'), '-A'], '-A'],
    [['extract', at('multi.img'), '-o', at('x.part'), '-p'], '-p'],
    [['inspect', at('uImage'), '--bootm-len'], '--bootm-len'],
    [['inspect', at('uImage'), '--load-addr', '--strict'], '--load-addr'],
    [['list', at('uImage'), '--format'], '--format'],
    [['cpio', '-x', at('sample.cpio'), '-C'], '-C'],
    [['loader', 'c-header', '--kernel', at('uImage'), '--img-address'], '--img-address'],
    [['romimage', 'arm', '--zimage', at('uImage'), '-o', at('x.rom'), '--ram-base'], '--ram-base'],
    [['kexec', 'kit', '--arch', 'arm', '--kernel', '/boot/zImage', '-o', at('kit'), '--media'], '--media'],
  ])('%j', async (args, flag) => {
    const r = await uimgIn(args);
    expect(r.stderr).toBe(`uimg: ${flag}: needs a value, found none (hint: give ${flag} VALUE (or ${flag}=VALUE for a value that starts with -); see 'uimg ${args[0]}${['loader', 'romimage', 'kexec'].includes(args[0]!) ? ' ' + args[1] : ''} --help')\n`);
    expect(r.code).toBe(2);
    expect(existsSync(at('x.img'))).toBe(false);
  });
});

describe('uimg extract --all -o DIR', () => {
  it('a missing parent directory: exit 3, nothing written anywhere', async () => {
    const before = readdirSync(W).sort();
    const cwd = process.cwd();
    const cwdBefore = readdirSync(cwd).sort();
    const r = await uimgIn(['extract', at('multi.img'), '--all', '-o', at('missing/dir/')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^uimg: .*missing\/dir\/: cannot create the directory: No such file or directory/);
    expect(readdirSync(W).sort()).toEqual(before);
    expect(readdirSync(cwd).sort()).toEqual(cwdBefore);
  });

  it('writes every part into DIR (made when its parent exists), with a summary line', async () => {
    const r = await uimgIn(['extract', at('multi.img'), '--all', '-o', at('parts')]);
    expect(r.code).toBe(0);
    expect(readdirSync(at('parts')).sort()).toEqual(['multi.img.part0', 'multi.img.part1', 'multi.img.part2']);
    expect(r.stdout.toString()).toMatch(/^.*multi\.img: part 0 to .*parts\/multi\.img\.part0 \(\d+ bytes\), part 1 .*, part 2 .*\n$/);
    mkdirSync(at('parts2'));
    expect((await uimgIn(['extract', at('multi.img'), '--all', '-o', at('parts2'), '-q'])).stdout.toString()).toBe('');
    expect(readdirSync(at('parts2'))).toHaveLength(3);
  });
});

describe('uimg list goes on file by file', () => {
  it('text: both good files are listed, the bad one is named on stderr; exit 4', async () => {
    const r = await uimgIn(['list', at('tv1.img'), at('random.bin'), at('multi.img')]);
    expect(r.code).toBe(4);
    expect(r.stdout.toString()).toContain(`${at('tv1.img')}:\nImage Name:   Linux-6.1`);
    expect(r.stdout.toString()).toContain(`${at('multi.img')}:\n`);
    expect(r.stderr).toMatch(new RegExp(`^uimg: ${at('random.bin')}: bad magic[^\n]*\n$`));
  });

  it('--json: one entry per file, the bad one with its error; a missing file is exit 3 and also listed', async () => {
    const r = await uimgIn(['list', at('tv1.img'), at('random.bin'), at('nope.img'), at('multi.img'), '--json']);
    expect(r.code).toBe(4);
    const out = JSON.parse(r.stdout.toString());
    expect(out.ok).toBe(false);
    expect(out.images.map((i: { file: string; error?: { code: string } }) => [i.file, i.error?.code ?? 'ok'])).toEqual([
      [at('tv1.img'), 'ok'], [at('random.bin'), 'BAD_MAGIC'], [at('nope.img'), 'IO_ERROR'], [at('multi.img'), 'ok'],
    ]);
    expect((await uimgIn(['list', at('tv1.img'), at('nope.img')])).code).toBe(3);
  });

  it('verify, too, goes on after a file that cannot be read', async () => {
    const r = await uimgIn(['verify', at('nope.img'), at('tv1.img'), '--json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout.toString());
    expect(out.results.map((x: { file: string; ok: boolean }) => [x.file, x.ok])).toEqual([[at('nope.img'), false], [at('tv1.img'), true]]);
  });
});

describe('every command that writes a file says so in one line (nothing with --quiet or --json)', () => {
  it('flash', async () => {
    mkdirSync(at('board/images'), { recursive: true });
    for (const f of ['uImage', 'board.dtb', 'bootstrap.bin']) copyFileSync(join(FIXTURES, 'layouts/images', f), at(`board/images/${f}`));
    copyFileSync(join(FIXTURES, 'layouts/layout-sound.json'), at('board/layout.json'));
    const r = await uimgIn(['flash', at('board/layout.json'), '-o', at('flash.bin'), '--trim']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^.*flash\.bin: \d+ bytes \(0x[0-9a-f]+\), 3 images placed: bootstrap at 0x0+, dtb at 0x0+40000, kernel at 0x0+80000\n$/);
    expect((await uimgIn(['flash', at('board/layout.json'), '-o', at('flash.bin'), '--trim', '-q'])).stdout.toString()).toBe('');
  });

  it('loader -o FILE', async () => {
    const r = await uimgIn(['loader', 'at91bootstrap', '--layout', at('board/layout.json'), '-o', at('at91.config'), '-q']);
    expect([r.code, r.stdout.toString()]).toEqual([0, '']);
    const s = await uimgIn(['loader', 'at91bootstrap', '--layout', at('board/layout.json'), '-o', at('at91.config')]);
    expect(s.stdout.toString()).toMatch(/^.*at91\.config: \d+ bytes, \d+ lines\n$/);
    const env = await uimgIn(['loader', 'uboot-env', '--from', at('hello.txt'), '--env-size', '0x100', '-o', at('env.bin')]);
    expect(env.stdout.toString()).toMatch(/env\.bin: 256 bytes of environment, \d+ used\n$/);
  });

  it('cpio -x', async () => {
    const r = await uimgIn(['cpio', '-x', at('sample.cpio'), '-C', at('unpacked')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^.*unpacked: \d+ entries from .*sample\.cpio/);
  });
});
