import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, runOurs, tempDir } from './helpers.js';

const dir = tempDir();
for (const f of ['tv1.img', 'multi.img', 'script3.img', 'xip.img', 'utf8.img', 'nodata.img']) {
  copyFileSync(join(FIXTURES, 'mkimage', f), join(dir, f));
}
writeFileSync(join(dir, 'zimage'), Buffer.concat([Buffer.alloc(0x24), Buffer.from([0x18, 0x28, 0x6f, 0x01]), Buffer.alloc(64)]));
writeFileSync(join(dir, 'kernel.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
const uimg = (args: string[], input?: Uint8Array) => runOurs('uimg', args, dir, { SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' }, input);
const json = (r: { stdout: Buffer }) => JSON.parse(r.stdout.toString());

describe('uimg create', () => {
  it('writes what mkimage writes for the same settings', () => {
    writeFileSync(join(dir, 'hello.txt'), 'hello world\n');
    const r = uimg(['create', 'hello.txt', '-o', 'c1.img', '--arch', 'arm', '--compression', 'none', '--load', '0x80008000', '--name', 'Linux-6.1']);
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toBe('');
    expect(readFileSync(join(dir, 'c1.img'))).toEqual(readFileSync(join(dir, 'tv1.img')));
  });

  it('warns about every mkimage footgun, as findings in --json', () => {
    const r = uimg(['create', 'zimage', '-o', 'c2.img', '--load', '0x80008000', '--entry', '0x1000', '--name', 'n'.repeat(40), '--json']);
    expect(r.status).toBe(0);
    const out = json(r);
    expect(out.schemaVersion).toBe(1);
    expect(out.findings.map((f: { rule: string }) => f.rule).sort()).toEqual(['comp-mismatch', 'entry-outside', 'implicit-arch', 'implicit-comp', 'name-truncated']);
    expect(out.header.arch).toEqual({ id: 7, name: 'powerpc', longName: 'PowerPC' });
  });

  it('stays quiet when the settings are sound', () => {
    const r = uimg(['create', 'kernel.gz', '-o', 'c3.img', '-A', 'arm', '-C', 'gzip', '-a', '80008000', '-n', 'ok', '--json']);
    expect(json(r).findings).toEqual([]);
    const r2 = uimg(['create', 'zimage', '-o', 'c4.img', '-A', 'arm', '-C', 'none', '-a', '80008000', '--json']);
    expect(json(r2).findings).toEqual([]);
  });

  it('reads - from stdin and writes - to stdout', () => {
    const r = uimg(['create', '-', '-o', '-', '-A', 'arm', '-C', 'none', '-a', '80008000', '-e', '80008000', '-n', 'Linux-6.1'], Buffer.from('hello world\n'));
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(readFileSync(join(dir, 'tv1.img')));
  });

  it('never leaves a partial file, and keeps an existing output (and its mode) when it fails', () => {
    writeFileSync(join(dir, 'keep.img'), 'old contents');
    chmodSync(join(dir, 'keep.img'), 0o640);
    const r = uimg(['create', 'missing-input', '-o', 'keep.img', '-A', 'arm']);
    expect(r.status).toBe(3);
    expect(readFileSync(join(dir, 'keep.img'), 'utf8')).toBe('old contents');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(uimg(['create', 'hello.txt', '-o', 'keep.img', '-A', 'arm', '-q']).status).toBe(0);
    expect(statSync(join(dir, 'keep.img')).mode & 0o777).toBe(0o640);
  });

  it.each([
    [['create', 'hello.txt', '-o', 'x.img', '--arch', 'nope'], 2, /unknown architecture 'nope'/],
    [['create', 'hello.txt', '-o', 'x.img', '--load', '0x1FFFFFFFF'], 2, /not a 32-bit hex address/],
    [['create', 'hello.txt', 'zimage', '-o', 'x.img'], 2, /need --type multi or script/],
    [['create', 'missing', '-o', 'x.img'], 3, /missing: cannot open: No such file or directory/],
    [['create', 'hello.txt', '-o', 'x.img', '--xip'], 4, /too small for XIP/],
    // A type uimg create cannot write is a command-line mistake, as a misspelt one is (exit 2 for both).
    [['create', 'hello.txt', '-o', 'x.img', '--type', 'kwbimage'], 2, /--type: 'kwbimage' is not a legacy image type: expected one of standalone, kernel/],
    [['create', 'hello.txt', '-o', 'x.img', '--type', 'kernal'], 2, /--type: unknown image type 'kernal' \(hint: did you mean 'kernel'\?/],
    [['bogus'], 2, /^uimg: unknown command 'bogus': expected one of create, sign, list, .* \(hint: see 'uimg --help'\)$/],
  ])('%j exits %i with one clear line', (args, code, message) => {
    const r = uimg(args as string[]);
    expect(r.status).toBe(code);
    const lines = r.stderr.toString().trimEnd().split('\n').filter((l) => !l.includes('warning'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'x.img'))).toBe(false);
  });
});

describe('uimg list, verify, extract', () => {
  it('list prints the mkimage text', () => {
    expect(uimg(['list', 'multi.img']).stdout.toString()).toBe(readFileSync(join(FIXTURES, 'mkimage/multi.txt'), 'utf8'));
  });

  it('list --json gives numbers, hex alongside, and the parts', () => {
    const out = json(uimg(['list', 'multi.img', '--json']));
    expect(out.schemaVersion).toBe(1);
    const [img] = out.images;
    expect(img.header).toMatchObject({ load: 0x80008000, loadHex: '0x80008000', dataSize: 36, name: 'multi-test',
      type: { id: 4, name: 'multi', longName: 'Multi-File Image' }, compression: { id: 0, name: 'none' } });
    expect(img.parts).toEqual([{ index: 0, offset: 80, size: 1 }, { index: 1, offset: 84, size: 5 }, { index: 2, offset: 92, size: 8 }]);
  });

  it.each(['tv1.img', 'multi.img', 'script3.img', 'utf8.img', 'nodata.img'])('--format mkimage + extract --all recreate %s byte for byte', (file) => {
    const work = tempDir();
    copyFileSync(join(dir, file), join(work, file));
    const cmd = runOurs('uimg', ['list', file, '--format', 'mkimage'], work).stdout.toString().trim();
    expect(runOurs('uimg', ['extract', file, '--all'], work).status).toBe(0);
    const original = readFileSync(join(work, file));
    // Run the printed command with our drop-in mkimage in place of `mkimage`.
    const r = spawnSync('bash', ['-c', cmd.replace(' mkimage ', ` ${process.execPath} ${BIN('mkimage')} `)], { cwd: work });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(join(work, file))).toEqual(original);
  });

  it('verify says which check failed, with expected and actual, exit 4', () => {
    const bad = readFileSync(join(dir, 'tv1.img'));
    bad[70] ^= 0xff;
    writeFileSync(join(dir, 'bad.img'), bad);
    const r = uimg(['verify', 'tv1.img', 'bad.img', '--json']);
    expect(r.status).toBe(4);
    const out = json(r);
    expect(out.results[0].ok).toBe(true);
    const failed = out.results[1].checks.find((c: { status: string }) => c.status === 'fail');
    expect(failed).toMatchObject({ check: 'data-crc', error: { code: 'DATA_CRC_MISMATCH', data: { field: 'ih_dcrc', expected: '0xaf083b2d' } } });
  });

  it('verify --allow-trailing accepts flash padding', () => {
    writeFileSync(join(dir, 'padded.img'), Buffer.concat([readFileSync(join(dir, 'tv1.img')), Buffer.alloc(100, 0xff)]));
    expect(uimg(['verify', 'padded.img']).status).toBe(4);
    expect(uimg(['verify', 'padded.img', '--allow-trailing']).status).toBe(0);
  });

  it('extract gives a script its text (not the size table) and a multi part its bytes', () => {
    expect(uimg(['extract', 'script3.img', '-o', '-']).stdout.toString()).toBe(readFileSync(join(FIXTURES, 'mkimage/in/boot.cmd'), 'utf8'));
    expect(uimg(['extract', 'multi.img', '-p', '1', '-o', '-']).stdout.toString()).toBe('BBBBB');
    const r = uimg(['extract', 'multi.img', '-p', '9', '-o', 'x']);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toMatch(/no part 9: the image has 3/);
  });

  it('refuses a corrupted image unless --force', () => {
    expect(uimg(['extract', 'bad.img', '-o', 'x']).status).toBe(4);
    expect(uimg(['extract', 'bad.img', '-o', 'x', '--force']).status).toBe(0);
  });
});

describe('uimg usage errors', () => {
  it('an unknown flag is named wherever it stands, even where yargs took the next word as its value', () => {
    for (const args of [['list', '--bogus', 'tv1.img'], ['list', 'tv1.img', '--bogus'], ['--bogus', 'list', 'tv1.img'], ['list', '--bogus=1', 'tv1.img']]) {
      const r = uimg(args);
      expect(r.status).toBe(2);
      expect(r.stderr.toString()).toBe(`uimg: --bogus: not a flag of '${args[0] === '--bogus' ? 'uimg' : 'uimg list'}' (hint: see '${args[0] === '--bogus' ? 'uimg' : 'uimg list'} --help')\n`);
    }
  });

  it('a known flag that took the positional is named in the hint', () => {
    const r = uimg(['inspect', '--bootm-len', 'tv1.img']);
    expect(r.stderr.toString()).toBe("uimg: inspect: FILES missing: expected at least 1 argument, found 0 (hint: --bootm-len took 'tv1.img' as its value; usage: uimg inspect <files..>; see 'uimg inspect --help')\n");
  });
});
