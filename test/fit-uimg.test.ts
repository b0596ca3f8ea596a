import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_TOOLS_DIR, hasTool, runOurs, runReal, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const have = hasTool('openssl') && hasTool('dtc') && hasTool(join(REAL_TOOLS_DIR, 'mkimage'));
if (!have) skipped('uimg FIT commands', 'needs openssl, dtc and U-Boot mkimage');

describe.skipIf(!have)('uimg create --fit and uimg sign', () => {
  const dir = tempDir('uimg-fitcli-');
  const env = { SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };
  beforeAll(() => {
    writeFileSync(join(dir, 'kernel.bin'), Uint8Array.from({ length: 4000 }, (_, i) => i & 0xff));
    writeFileSync(join(dir, 'b.dts'), '/dts-v1/; / { model = "b"; };');
    execFileSync('dtc', ['-o', 'b.dtb', 'b.dts'], { cwd: dir });
    execFileSync('dtc', ['-o', 'ctl.dtb', 'b.dts'], { cwd: dir });
    execFileSync('mkdir', ['-p', 'keys'], { cwd: dir });
    execFileSync('openssl', ['genrsa', '-out', 'keys/dev.key', '2048'], { cwd: dir, stdio: 'pipe' });
    execFileSync('openssl', ['req', '-batch', '-new', '-x509', '-key', 'keys/dev.key', '-out', 'keys/dev.crt', '-subj', '/CN=dev'], { cwd: dir, stdio: 'pipe' });
  });

  it('from flags: a signed FIT that U-Boot lists, key written to the control DTB', () => {
    const r = runOurs('uimg', ['create', '--fit', 'kernel.bin', '-o', 'a.itb', '-A', 'arm', '-a', '0x80008000', '--dtb', 'b.dtb',
      '-k', 'keys', '-g', 'dev', '-K', 'ctl.dtb', '-r', '--json'], dir, env);
    expect(r.stderr.toString()).toBe('');
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ ok: true, signature: '/configurations/conf-1/signature-1', keyNode: '/signature/key-dev' });
    const l = runReal('mkimage', ['-l', 'a.itb'], dir, env).stdout.toString();
    expect(l).toMatch(/Sign algo:    sha256,rsa2048:dev/);
    expect(l).toMatch(/Hash algo:    sha256/);
    expect(readFileSync(join(dir, 'ctl.dtb')).includes(Buffer.from('rsa,r-squared'))).toBe(true);
  });

  it('uimg sign equals mkimage -F -k -K -r on the same FIT', () => {
    writeFileSync(join(dir, 'f.yaml'), ['description: Y', 'images:', '  kernel-1: {data: kernel.bin, type: kernel, arch: arm, os: linux, load: 0x1000, hash: [sha1, crc16-ccitt]}',
      '  fdt-1: {data: b.dtb, type: flat_dt, arch: arm}', 'configurations:', '  default: conf-1',
      '  conf-1: {kernel: kernel-1, fdt: fdt-1, signature: {algo: "sha256,rsa2048", key: dev}}', ''].join('\n'));
    const c = runOurs('uimg', ['create', '--fit', '--from', 'f.yaml', '-o', 'u.itb', '-q', '-k', 'keys'], dir, env);
    expect(c.status, c.stderr.toString()).toBe(0);
    execFileSync('cp', ['u.itb', 'r.itb'], { cwd: dir });
    execFileSync('cp', ['b.dtb', 'k1.dtb'], { cwd: dir });
    execFileSync('cp', ['b.dtb', 'k2.dtb'], { cwd: dir });
    expect(runOurs('uimg', ['sign', 'u.itb', '-k', 'keys', '-K', 'k1.dtb', '-r', '-q'], dir, env).status).toBe(0);
    expect(runReal('mkimage', ['-F', '-k', 'keys', '-K', 'k2.dtb', '-r', 'r.itb'], dir, env).status).toBe(0);
    expect(readFileSync(join(dir, 'u.itb')).equals(readFileSync(join(dir, 'r.itb')))).toBe(true);
    expect(readFileSync(join(dir, 'k1.dtb')).equals(readFileSync(join(dir, 'k2.dtb')))).toBe(true);
  });

  it('refuses a bad description naming the field, and a missing key', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'images:\n  k: {data: kernel.bin, type: kernel, hash: [sha3]}\n');
    const r = runOurs('uimg', ['create', '--fit', '--from', 'bad.yaml', '-o', 'x.itb'], dir, env);
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/images\.k\.hash: unknown hash algorithm 'sha3'/);
    const s = runOurs('uimg', ['sign', 'u.itb', '-k', 'nokeys'], dir, env);
    expect(s.status).not.toBe(0);
    expect(s.stderr.toString()).toMatch(/Couldn't open RSA private key: 'nokeys\/dev.key'/);
  });
});
