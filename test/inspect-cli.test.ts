/** `uimg inspect` as a pipeline sees it: the tree, --json, --strict, --scan, stdin, limits and errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { debianAmd64BzImage } from './debian-files.js';
import { fixture, runOurs, tempDir } from './helpers.js';
import { skipTest } from './skip.js';

const dir = tempDir('uimg-inspect-cli-');
const f = (name: string) => fixture(`inspect/${name}`);
const FIX = (name: string) => join(process.cwd(), 'fixtures', 'inspect', name);
const uimg = (args: string[], input?: Uint8Array) => runOurs('uimg', ['inspect', ...args], dir, {}, input);
const json = (r: { stdout: Buffer }) => JSON.parse(r.stdout.toString());

describe('uimg inspect', () => {
  it('prints a tree: the uImage, the zImage inside, its payload, findings where they apply, and the loaders', () => {
    const r = uimg([FIX('uimage-zimage.img')]);
    expect(r.status).toBe(0);
    const text = r.stdout.toString();
    expect(text).toContain('U-Boot legacy uImage, Kernel Image, ARM, none, "uimg test zImage"');
    expect(text).toMatch(/└─ payload @ 0x00000040, 10464 bytes: ARM Linux zImage, little-endian, xz payload/);
    expect(text).toMatch(/└─ payload @ 0x000001c1, \d+ bytes: xz compressed data/);
    expect(text).toContain('load: 0x80008000 (2147516416)');
    expect(text).toContain('! warning zimage-overlap:');
    expect(text).toMatch(/U-Boot +yes +bootm/);
  });

  it('--json: versioned, numbers as numbers with hex beside, one entry per file', () => {
    const r = uimg(['--json', FIX('zimage-xz.bin'), FIX('board.dtb')]);
    expect(r.status).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ schemaVersion: 1, ok: true });
    expect(out.files).toHaveLength(2);
    const [z, dtb] = out.files;
    expect(Object.keys(z)).toEqual(['file', 'size', 'format', 'summary', 'root', 'loaders', 'counts']);
    expect(z.root).toMatchObject({ name: 'file', format: 'zimage-arm', space: 'file', offset: 0, offsetHex: '0x00000000', length: f('zimage-xz.bin').length });
    expect(z.root.fields).toMatchObject({ end: f('zimage-xz.bin').length, tableOffset: 256, tableOffsetHex: '0x00000100' });
    expect(typeof z.root.fields.kernelSize.decompressedSize).toBe('number');
    expect(z.root.children[0]).toMatchObject({ name: 'payload', format: 'xz', offset: 0x181, offsetHex: '0x00000181' });
    expect(z.counts).toEqual({ error: 0, warning: 0, info: 0 });
    expect(dtb).toMatchObject({ format: 'fdt', loaders: [] });
    expect(dtb.root.fields.reservations).toEqual([{ address: 0x8f000000, addressHex: '0x8f000000', size: 0x100000, sizeHex: '0x00100000' }]);
  });

  it('decompresses by default to read the banner; --headers-only (= --no-deep) reads headers only', () => {
    const deep = json(uimg(['--json', FIX('zimage-xz.bin')])).files[0].root.children[0];
    expect(deep.children.length).toBeGreaterThan(0); // the decompressed kernel, inspected in turn
    for (const flag of ['--headers-only', '--no-deep']) {
      const shallow = json(uimg(['--json', flag, FIX('zimage-xz.bin')])).files[0].root.children[0];
      expect(shallow).toMatchObject({ format: 'xz', children: [] });
    }
  });

  it('--strict exits 4 when a rule of severity error fires, 0 otherwise', () => {
    expect(uimg([FIX('uimage-arm-arm64.img')]).status).toBe(0);
    const r = uimg(['--strict', FIX('uimage-arm-arm64.img')]);
    expect(r.status).toBe(4);
    expect(r.stdout.toString()).toContain('! error arch-mismatch');
    expect(r.stdout.toString()).toContain('U-Boot does not check it against the kernel'); // boot-in-qemu.md 3.6: it boots, silently
    expect(uimg(['--strict', FIX('uimage-defaults.img')]).status).toBe(0); // warnings only
    expect(json(uimg(['--strict', '--json', FIX('uimage-arm-arm64.img')])).ok).toBe(false);
  });

  it('--scan finds headers at any offset of a blob, skipping decoys', () => {
    const junk = (n: number) => new Uint8Array(n).fill(0x5a);
    const parts = [junk(1000), f('uimage-zimage.img'), junk(333), f('board.dtb'), junk(17), f('image-arm64.gz'), junk(64)];
    const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const at: number[] = [];
    parts.reduce((o, p) => (at.push(o), blob.set(p, o), o + p.length), 0);
    writeFileSync(join(dir, 'blob.bin'), blob);
    const r = uimg(['--scan', '--json', 'blob.bin']);
    expect(r.status).toBe(0);
    const hits = json(r).files[0].scan.map((h: { offset: number; format: string }) => [h.offset, h.format]);
    expect(hits).toEqual([[at[1], 'uimage'], [at[1]! + 64, 'zimage-arm'], [at[1]! + 64 + 0x181, 'xz'], [at[3], 'fdt'], [at[5], 'gzip']]);
    expect(uimg(['--scan', 'blob.bin']).stdout.toString()).toContain(`0x${at[3]!.toString(16).padStart(8, '0')}  fdt `);
  });

  it('reads stdin for -', () => {
    const r = uimg(['--json', '-'], f('image-arm64.bin'));
    expect(json(r).files[0]).toMatchObject({ file: '-', format: 'image-arm64' });
  });

  it('says what it cannot recognise, without failing', () => {
    writeFileSync(join(dir, 'junk.bin'), new Uint8Array(100).fill(7));
    writeFileSync(join(dir, 'empty.bin'), new Uint8Array(0));
    const r = uimg(['--json', 'junk.bin', 'empty.bin']);
    expect(r.status).toBe(0);
    expect(json(r).files.map((x: { root: { format: string; summary: string } }) => [x.root.format, x.root.summary]))
      .toEqual([['data', 'unrecognised data'], ['data', 'empty']]);
  });

  it('keeps going past a missing file and exits 3 for it', () => {
    const r = uimg(['nosuch.bin', FIX('board.dtb')]);
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toMatch(/^uimg: nosuch\.bin: cannot open: .*\(hint: check the path\)\n$/);
    expect(r.stdout.toString()).toContain('flattened device tree');
    const d = uimg(['.']);
    expect(d.status).toBe(3);
    expect(d.stderr.toString()).toBe('uimg: .: is a directory, not a file (hint: name a file inside it)\n');
  });

  it('refuses a bad size and stops with a clear error past --max-bytes', () => {
    const bad = uimg(['--bootm-len', 'lots', FIX('board.dtb')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toContain("--bootm-len: 'lots' is not a number: expected decimal, 0x hex");
    expect(json(uimg(['--json', '--bootm-len', '16M', FIX('board.dtb')])).ok).toBe(true);
    const r = uimg(['--deep', '--max-bytes', '4K', FIX('zimage-xz.bin')]);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toMatch(/--max-bytes 4096.*\(hint: raise --max-bytes/);
  });

  it('--timeout: a file that takes longer is a one-line TIMED_OUT error naming the file and the flag, exit 4', async (ctx) => {
    const path = await debianAmd64BzImage();
    if (typeof path !== 'string') return skipTest(ctx, 'inspect-cli', path.skip);
    const r = uimg(['--timeout', '0.001', path]);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toBe(`uimg: ${path}: inspection did not finish within --timeout 0.001 s (hint: raise --timeout, or use --headers-only, which reads a few KiB)\n`);
    expect(json(uimg(['--json', '--timeout', '0.001', path])).files[0].error.code).toBe('TIMED_OUT');
    expect(uimg(['--timeout', 'soon', FIX('board.dtb')]).stderr.toString()).toContain("--timeout: 'soon' is not a number of seconds");
  });

  it('refuses a device or pipe, whose size is unknown, instead of calling it empty', () => {
    const r = uimg(['/dev/zero']);
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toMatch(/^uimg: \/dev\/zero: is a character device, not a regular file: its size is unknown \(hint: copy/);
  });

  it('--fdt-addr on a bare zImage needs --load-addr; a uImage gives its own load address', () => {
    const r = uimg(['--fdt-addr', '0x80010000', FIX('zimage-xz.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toContain('--fdt-addr needs --load-addr for a bare zImage');
    expect(uimg(['--fdt-addr', '0x80010000', FIX('uimage-zimage.img')]).stdout.toString()).toContain('! error fdt-overlap');
  });

  it('with --json, stdout alone carries the result, --strict included', () => {
    const r = uimg(['--strict', '--json', FIX('uimage-arm-arm64.img')]);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toBe('');
  });
});

describe('uimg inspect: the embedded kernel configuration (CONFIG_IKCONFIG)', () => {
  const config = '#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_LOCALVERSION="-uimg"\nCONFIG_IKCONFIG=y\n# CONFIG_SWAP is not set\nCONFIG_HZ=250\n';
  // An arm64 Image whose body holds kernel/configs.c's block: IKCFG_ST, the gzip'd .config, IKCFG_ED.
  const withIkconfig = () => {
    const image = f('image-arm64.bin').slice();
    const block = Buffer.concat([Buffer.from('IKCFG_ST'), gzipSync(config), Buffer.from('IKCFG_ED')]);
    image.set(block, 0x2000);
    return image;
  };
  const image = join(dir, 'Image-ikconfig');
  const imageGz = join(dir, 'Image-ikconfig.gz');
  writeFileSync(image, withIkconfig());
  writeFileSync(imageGz, gzipSync(withIkconfig()));

  it('shows it in the tree and in --json, in an Image and in the kernel decompressed from an Image.gz', () => {
    for (const path of [image, imageGz]) {
      expect(uimg([path]).stdout.toString()).toContain('ikconfig: 3 options (CONFIG_LOCALVERSION="-uimg"; print it with --ikconfig)');
      const root = json(uimg(['--json', path])).files[0].root;
      const kernel = path === image ? root : root.children[0];
      expect(kernel.ikconfig).toEqual({ bytes: config.length, options: 3 });
    }
    expect(json(uimg(['--json', FIX('image-arm64.bin')])).files[0].root.ikconfig).toBeUndefined();
  });

  it('--ikconfig prints the config text itself, or exits 4 with one line when there is none', () => {
    for (const path of [image, imageGz]) {
      const r = uimg(['--ikconfig', path]);
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toBe(config);
    }
    const none = uimg(['--ikconfig', FIX('zimage-xz.bin')]);
    expect(none.status).toBe(4);
    expect(none.stdout.toString()).toBe('');
    expect(none.stderr.toString()).toMatch(/^uimg: .*zimage-xz\.bin: no embedded kernel configuration: no IKCFG_ST\.\.\.IKCFG_ED block .*\(hint: the kernel was built without CONFIG_IKCONFIG.*\)\n$/);
    expect(uimg(['--ikconfig', '--json', image]).status).toBe(2);
  });
});
