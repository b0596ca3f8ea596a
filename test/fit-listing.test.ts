/**
 * FIT listing and extraction against U-Boot 2023.01's own tools: FITs made by the real mkimage (every hash, external
 * data with -E/-B/-p, RSA image and configuration signatures, unit addresses, quirky trees), then `mkimage -l`,
 * `dumpimage -l`, `mkimage -l -T flat_dt` and `dumpimage -T flat_dt -p N -o FILE` run by both; stdout, stderr, exit
 * code and the extracted bytes must agree.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_TOOLS_DIR, hasTool, runOurs, runReal, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const haveTools = hasTool(join(REAL_TOOLS_DIR, 'mkimage')) && hasTool(join(REAL_TOOLS_DIR, 'dumpimage')) && hasTool('dtc') && hasTool('openssl');
if (!haveTools) skipped('fit listing', `needs U-Boot's mkimage/dumpimage in ${REAL_TOOLS_DIR}, dtc and openssl (apt-get install u-boot-tools device-tree-compiler openssl)`);

const ENV = { SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };
const base = tempDir('uimg-fit-list-');
const inputs = join(base, 'in');

const its = (body: string) => `/dts-v1/;\n/ {\n${body}\n};\n`;
const HASHES = ['crc32', 'crc16-ccitt', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'];

/** The .its sources: name → text (the images use files made in makeInputs). */
const SOURCES: Record<string, string> = {
  allhash: its(`
  description = "every hash";
  #address-cells = <1>;
  images {
    kernel-1 {
      description = "Linux kernel"; data = /incbin/("kernel.bin"); type = "kernel"; arch = "arm"; os = "linux";
      compression = "none"; load = <0x80008000>; entry = <0x80008000>;
      ${HASHES.map((h, i) => `hash-${i + 1} { algo = "${h}"; };`).join('\n      ')}
    };
    fdt-1 { description = "Board A"; data = /incbin/("board.dtb"); type = "flat_dt"; arch = "arm"; compression = "none";
      hash-1 { algo = "sha256"; }; };
    ramdisk-1 { description = "initrd"; data = /incbin/("initrd.bin"); type = "ramdisk"; arch = "arm"; os = "linux";
      compression = "gzip"; load = <0x88000000>; entry = <0x88000000>; hash-1 { algo = "crc16-ccitt"; }; };
    firmware-1 { data = /incbin/("fw.bin"); type = "firmware"; arch = "arm64"; os = "u-boot"; hash-1 { algo = "md5"; }; };
    fpga-1 { description = "bitstream"; data = /incbin/("fw.bin"); type = "fpga"; load = <0 0x10>; };
    tee-1 { description = "OP-TEE"; data = /incbin/("fw.bin"); type = "tee"; arch = "arm"; os = "tee"; load = <0x1 0x0>; };
    standalone-1 { data = /incbin/("fw.bin"); type = "Standalone"; arch = "ARM"; compression = "LZ4"; load = <0x100>; entry = <0x104>; };
    odd-1 { data = "123456789"; type = "bogus"; compression = "zip"; };
    dtload-1 { data = /incbin/("board.dtb"); type = "flat_dt"; load = <0x83000000>; };
  };
  configurations {
    default = "conf-1";
    conf-1 { description = "Board A"; kernel = "kernel-1"; fdt = "fdt-1"; ramdisk = "ramdisk-1"; firmware = "firmware-1"; fpga = "fpga-1"; };
    conf-2 { kernel = "kernel-1"; fdt = "fdt-1", "dtload-1"; loadables = "firmware-1", "tee-1", "standalone-1"; };
    conf-3 { description = "no kernel"; loadables = "tee-1"; };
  };`),
  signed: its(`
  description = "signed";
  #address-cells = <1>;
  images {
    kernel { description = "k"; data = /incbin/("kernel.bin"); type = "kernel"; arch = "arm"; os = "linux"; compression = "none";
      load = <0x40100000>; entry = <0x40100000>; hash-1 { algo = "sha256"; };
      signature-1 { algo = "sha256,rsa2048"; key-name-hint = "dev"; required = "image"; }; };
    fdt { description = "f"; data = /incbin/("board.dtb"); type = "flat_dt"; arch = "arm"; compression = "none";
      hash-1 { algo = "sha1"; }; signature-1 { algo = "sha1,rsa2048"; key-name-hint = "dev"; padding = "pss"; }; };
  };
  configurations {
    default = "conf-1";
    conf-1 { description = "signed conf"; kernel = "kernel"; fdt = "fdt";
      signature-1 { algo = "sha256,rsa2048"; key-name-hint = "dev"; sign-images = "kernel", "fdt"; }; };
    conf-2 { description = "unsigned sig"; kernel = "kernel"; signature-1 { algo = "sha256,rsa2048"; key-name-hint = "other"; }; };
  };`),
  // The listing's default comes from the node after /images: here another node with a default.
  quirk: its(`
  description = "quirks";
  timestamp = <0x12345678>;
  images { a { data = [01 02 03]; type = "kernel"; load = <0 1 0>; entry = [00 01]; }; };
  other { default = "bogus"; };
  configurations { default = "c"; c { kernel = "a"; }; };`),
  confsfirst: its(`
  description = "configurations first";
  configurations { default = "c"; c { kernel = "a"; }; };
  images { a { data = [01 02 03]; type = "ramdisk"; }; };`),
  noconfs: its(`
  description = "no configurations";
  images { a { description = "only"; data = [ff]; }; };`),
  unit: its(`
  description = "unit addresses";
  images { kernel@1 { data = [01 02 03 04]; type = "kernel"; hash@1 { algo = "crc32"; }; }; };
  configurations { default = "conf@1"; conf@1 { kernel = "kernel@1"; }; };`),
};

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...ENV } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** name → the FIT file names made from it. */
const fits: string[] = [];

function makeInputs(): void {
  mkdirSync(inputs, { recursive: true });
  const w = (name: string, bytes: Uint8Array | string) => writeFileSync(join(inputs, name), bytes);
  w('kernel.bin', Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff));
  w('initrd.bin', Uint8Array.from({ length: 777 }, (_, i) => (7 * i) & 0xff));
  w('fw.bin', Uint8Array.from({ length: 37 }, (_, i) => (3 * i + 1) & 0xff));
  w('board.dts', '/dts-v1/;\n/ { compatible = "vendor,board-a"; model = "Board A"; };\n');
  run('dtc', ['-I', 'dts', '-O', 'dtb', '-o', 'board.dtb', 'board.dts'], inputs);
  w('plain.dts', '/dts-v1/;\n/ { model = "plain"; memory@0 { reg = <0 0>; }; };\n');
  run('dtc', ['-I', 'dts', '-O', 'dtb', '-o', 'unit.dtb', 'plain.dts'], inputs);
  w('nofit.dts', '/dts-v1/;\n/ { model = "plain"; };\n');
  run('dtc', ['-I', 'dts', '-O', 'dtb', '-o', 'nofit.dtb', 'nofit.dts'], inputs);
  mkdirSync(join(inputs, 'keys'));
  run('openssl', ['genrsa', '-out', 'keys/dev.key', '2048'], inputs);
  run('openssl', ['req', '-batch', '-new', '-x509', '-key', 'keys/dev.key', '-out', 'keys/dev.crt', '-subj', '/CN=dev'], inputs);
  const make = (out: string, args: string[]) => {
    const r = runReal('mkimage', [...args, out], inputs, ENV);
    if (r.status !== 0 && !existsSync(join(inputs, out))) throw new Error(`fixture ${out}: ${r.stderr}`);
    fits.push(out);
  };
  for (const [name, text] of Object.entries(SOURCES)) {
    w(`${name}.its`, text);
    make(`${name}.itb`, ['-f', `${name}.its`]);
  }
  make('allhash-E.itb', ['-f', 'allhash.its', '-E']);
  make('allhash-EB.itb', ['-f', 'allhash.its', '-E', '-B', '0x100']);
  make('allhash-Ep.itb', ['-f', 'allhash.its', '-E', '-p', '0x2000']);
  make('signed-k.itb', ['-f', 'signed.its', '-k', 'keys', '-c', 'a comment']);
  make('signed-kE.itb', ['-f', 'signed.its', '-k', 'keys', '-E']);
  make('auto.itb', ['-f', 'auto', '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-n', 'Linux kernel',
    '-d', 'kernel.bin', '-b', 'board.dtb', '-i', 'initrd.bin']);
  make('auto-sig.itb', ['-f', 'auto', '-A', 'arm64', '-d', 'kernel.bin', '-g', 'dev', '-o', 'sha256,rsa2048', '-k', 'keys']);
  fits.push('unit.dtb', 'nofit.dtb');
  // What mkimage will not write but may meet: a hash node with an unknown algo, one without algo, a signature
  // without a value, a bare string type.
  cpSync(join(inputs, 'allhash.itb'), join(inputs, 'edited.itb'));
  for (const args of [
    ['-c', 'edited.itb', '/images/odd-1/hash-1', '/images/odd-1/hash-2', '/images/odd-1/signature-9', '/images/odd-1/other'],
    ['-t', 's', 'edited.itb', '/images/odd-1/hash-1', 'algo', 'sha3'],
    ['-t', 'x', 'edited.itb', '/images/odd-1/hash-2', 'value', '1'],
    ['-t', 's', 'edited.itb', '/images/odd-1/signature-9', 'key-name-hint', 'k'],
    ['-t', 's', 'edited.itb', '/images/odd-1/signature-9', 'algo', 'sha1,rsa4096'],
    ['-t', 'x', 'edited.itb', '/images/odd-1/signature-9', 'timestamp', '1', '2'],
    ['-t', 's', 'edited.itb', '/', 'description', ''],
  ]) run('fdtput', args, inputs);
  fits.push('edited.itb');
  // Broken copies: cut short, a bad token, a missing timestamp.
  const signed = readFileSync(join(inputs, 'allhash-E.itb'));
  w('cut.itb', signed.subarray(0, 1000));
  w('extcut.itb', signed.subarray(0, signed.length - 10));
  const bad = Buffer.from(readFileSync(join(inputs, 'noconfs.itb')));
  bad.writeUInt32BE(7, bad.readUInt32BE(8) + 4 * 3);
  w('badtoken.itb', bad);
  fits.push('cut.itb', 'extcut.itb', 'badtoken.itb');
}

/** Run a command in twin copies of the inputs with both tools; everything observable must agree. */
function expectSame(tool: 'mkimage' | 'dumpimage', args: string[], outputs: string[] = []): void {
  const id = Math.random().toString(36).slice(2);
  const realDir = join(base, `r${id}`), ourDir = join(base, `o${id}`);
  cpSync(inputs, realDir, { recursive: true });
  cpSync(inputs, ourDir, { recursive: true });
  const real = runReal(tool, args, realDir, ENV);
  const ours = runOurs(tool, args, ourDir, ENV);
  const label = `${tool} ${args.join(' ')}`;
  expect({ status: ours.status, stdout: ours.stdout.toString('latin1'), stderr: ours.stderr.toString('latin1') }, label)
    .toEqual({ status: real.status, stdout: real.stdout.toString('latin1'), stderr: real.stderr.toString('latin1') });
  for (const out of outputs) {
    const want = existsSync(join(realDir, out)) ? readFileSync(join(realDir, out)) : undefined;
    const got = existsSync(join(ourDir, out)) ? readFileSync(join(ourDir, out)) : undefined;
    if (real.status === 0) expect(got?.equals(want!), `${label}: ${out} differs`).toBe(true);
  }
}

describe.skipIf(!haveTools)('FIT listing and extraction vs U-Boot 2023.01', () => {
  beforeAll(makeInputs, 120_000);

  it('mkimage -l, dumpimage -l and mkimage -l -T flat_dt print the same', () => {
    for (const f of fits) {
      expectSame('mkimage', ['-l', '-T', 'flat_dt', f]);
      // Untyped, mkimage goes on guessing vendor formats for what is not a FIT (below).
      if (['nofit.dtb', 'cut.itb', 'badtoken.itb'].includes(f)) continue;
      expectSame('mkimage', ['-l', f]);
      expectSame('dumpimage', ['-l', f]);
      expectSame('mkimage', ['-q', '-l', f]);
    }
  }, 300_000);

  it('where mkimage guesses on or reads past the file, ours says why and fails', () => {
    // mkimage -l lists a plain DTB as a TI Keystone "GP Header" (exit 0).
    const dtb = runOurs('mkimage', ['-l', 'nofit.dtb'], inputs, ENV);
    expect(dtb.status).toBe(1);
    expect(dtb.stderr.toString()).toBe('mkimage: nofit.dtb: not a valid FIT: the root node has no description property (hint: a FIT root has a description)\n');
    // dumpimage copies whatever follows the file's end in memory for external data cut off.
    const dir = tempDir('uimg-fit-cut-');
    cpSync(join(inputs, 'extcut.itb'), join(dir, 'extcut.itb'));
    const cut = runOurs('dumpimage', ['-T', 'flat_dt', '-p', '8', '-o', 'out.bin', 'extcut.itb'], dir, ENV);
    expect(cut.status).toBe(253);
    expect(cut.stderr.toString().split('\n')[0]).toBe("image 'dtload-1': data-offset data (137 bytes at 4656) lies outside the 4786-byte file");
    expect(existsSync(join(dir, 'out.bin'))).toBe(false);
  });

  it('dumpimage -T flat_dt -p N extracts every image, and refuses past the last', () => {
    for (const f of fits.filter((n) => n.endsWith('.itb') && !['cut.itb', 'badtoken.itb'].includes(n))) {
      const count = (readFileSync(join(inputs, f)).toString('latin1').match(/Image \d+ \(/g) ?? []).length || 10;
      const every = ['allhash-E.itb', 'allhash-Ep.itb', 'signed-kE.itb'].includes(f);
      for (let p = 0; p <= Math.min(count, 10); p++) {
        if (!every && p !== 0 && p < count - 1) continue;
        if (f === 'extcut.itb' && p === 8) continue; // the cut-off image: above
        expectSame('dumpimage', ['-T', 'flat_dt', '-p', String(p), '-o', 'out.bin', f], ['out.bin']);
      }
    }
    expectSame('dumpimage', ['-T', 'flat_dt', '-o', 'out.bin', 'allhash.itb'], ['out.bin']);
    expectSame('dumpimage', ['-T', 'flat_dt', '-p', '-1', '-o', 'out.bin', 'allhash.itb']);
    expectSame('dumpimage', ['-T', 'flat_dt', '-p', '0', '-o', 'nodir/out.bin', 'allhash.itb']);
    expectSame('dumpimage', ['-T', 'kernel', '-p', '0', '-o', 'out.bin', 'allhash.itb']);
    expectSame('dumpimage', ['-p', '0', '-o', 'out.bin', 'allhash.itb']);
    expectSame('dumpimage', ['-T', 'flat_dt', '-o', 'out.bin', 'nofit.dtb']);
    expectSame('dumpimage', ['-T', 'flat_dt', '-o', 'out.bin', 'unit.dtb']);
  }, 300_000);
});
