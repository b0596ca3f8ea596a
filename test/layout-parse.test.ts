import { describe, expect, it } from 'vitest';
import { UimgError } from '../src/errors.js';
import { locate } from '../src/layout/model.js';
import { parseByteCount } from '../src/numbers.js';
import { parseLayout } from '../src/layout/parse.js';

const SOUND = {
  board: 'test',
  ram: { base: '0x20000000', size: '128MiB' },
  flash: { kind: 'nand', size: '256MiB', pageSize: 2048, eraseBlockSize: '128KiB', mtdId: 'atmel_nand' },
  partitions: [
    { name: 'bootstrap', offset: 0, size: '256KiB' },
    { name: 'dtb', offset: '0x180000', size: '128KiB' },
    { name: 'kernel', size: '6MiB' },
    { name: 'rootfs', size: 'rest' },
  ],
  images: { kernel: { file: 'uImage', partition: 'kernel', ramAddress: '0x22000000' }, dtb: { partition: 'dtb', ramAddress: '0x21000000' } },
  loader: 'at91bootstrap',
  cmdline: 'console=ttyS0,115200',
};

function errorOf(f: () => unknown): UimgError {
  try {
    f();
  } catch (e) {
    if (e instanceof UimgError) return e;
    throw e;
  }
  throw new Error('no error');
}

const edit = (f: (l: any) => void) => {
  const l = structuredClone(SOUND) as any;
  f(l);
  return JSON.stringify(l, null, 2);
};

describe('parseByteCount', () => {
  it.each([
    [4096, 4096], ['4096', 4096], ['0x1000', 4096], ['4K', 4096], ['4KiB', 4096], ['4kb', 4096], ['2M', 2 << 20],
    ['1GiB', 1 << 30], [' 0x20000000 ', 0x20000000],
  ])('%j is %d', (text, n) => expect(parseByteCount(text)).toBe(n));
  it.each([-1, 1.5, '1.5M', '0x', 'abc', '12Q', '', null, true, '4 TiB'])('%j is refused', (text) => expect(parseByteCount(text)).toBeUndefined());
});

describe('parseLayout', () => {
  it('resolves sizes, follows-the-previous offsets and the rest of the flash', () => {
    const l = parseLayout(JSON.stringify(SOUND), 'b.json');
    expect(l.ram).toEqual({ base: 0x20000000, size: 128 << 20 });
    expect(l.flash).toMatchObject({ kind: 'nand', pageSize: 2048, eraseBlockSize: 0x20000, erasedByte: 0xff, mtdId: 'atmel_nand' });
    expect(l.partitions.map((p) => [p.name, p.offset, p.size])).toEqual([
      ['bootstrap', 0, 0x40000], ['dtb', 0x180000, 0x20000], ['kernel', 0x1a0000, 0x600000], ['rootfs', 0x7a0000, (256 << 20) - 0x7a0000],
    ]);
    expect(l.images.kernel).toEqual({ role: 'kernel', file: 'uImage', partition: 'kernel', ramAddress: 0x22000000 });
    expect(l.images.dtb).toEqual({ role: 'dtb', partition: 'dtb', ramAddress: 0x21000000 });
    expect(l.loader).toBe('at91bootstrap');
  });

  it('reads YAML too, with YAML hex numbers', () => {
    const l = parseLayout([
      'ram: {base: 0x40000000, size: 1GiB}',
      'flash: {kind: sd, size: 8GiB}',
      'partitions:',
      '  - {name: boot, offset: 1MiB, size: 64MiB}',
    ].join('\n'), 'b.yaml');
    expect(l.ram.base).toBe(0x40000000);
    expect(l.flash).toMatchObject({ pageSize: 512, eraseBlockSize: 512 });
  });

  it('keeps the position of fields for findings', () => {
    const l = parseLayout(JSON.stringify(SOUND, null, 2), 'b.json');
    expect(locate(l, 'partitions[1].offset')).toMatch(/^b\.json:\d+:\d+$/);
  });

  it.each([
    ['a syntax error', (t: string) => t.replace('"ram"', '"ram",'), /^b\.json:\d+:\d+: /],
    ['a duplicate key', (t: string) => t.replace('"board": "test"', '"board": "a", "board": "b"'), /^b\.json:2:\d+: Map keys must be unique/],
    ['an unknown field', (t: string) => t.replace('"cmdline"', '"cmdlin"'), /^b\.json:46:13: cmdlin: expected one of the fields/],
    ['a bad size', () => edit((l) => (l.partitions[1].offset = '12Q')), /^b\.json:22:17: partitions\[1\]\.offset: expected partition offset: a whole number of bytes .* found "12Q"$/],
    ['a missing RAM size', () => edit((l) => delete l.ram.size), /^b\.json:\d+:\d+: ram\.size: expected RAM size: .* found nothing$/],
    ['a NAND without pages', () => edit((l) => delete l.flash.pageSize), /flash\.pageSize: expected the page size of nand flash/],
    ['an odd erase block', () => edit((l) => (l.flash.eraseBlockSize = 3000)), /flash\.eraseBlockSize: expected a power of two, found 3000/],
    ['an unknown flash kind', () => edit((l) => (l.flash.kind = 'emmc')), /flash\.kind: expected one of nand, nor, spi, qspi, sd, mmc, found "emmc"/],
    ['a duplicate partition', () => edit((l) => (l.partitions[1].name = 'bootstrap')), /partitions\[1\]\.name: expected a name not used by another partition/],
    ['a name mtdparts cannot carry', () => edit((l) => (l.partitions[1].name = 'a(b)')), /partitions\[1\]\.name: expected a name without spaces/],
    ['rest before the end', () => edit((l) => (l.partitions[0].size = 'rest')), /partitions\[0\]\.size: expected a size \("rest" is for the last partition only\)/],
    ['an image in no partition', () => edit((l) => (l.images.kernel.partition = 'kern')), /images\.kernel\.partition: expected the name of a partition \(bootstrap, dtb, kernel, rootfs\), found "kern"/],
    ['two images in one partition', () => edit((l) => (l.images.dtb.partition = 'kernel')), /images\.dtb\.partition: expected a partition not already holding the kernel/],
    ['a RAM address for the rootfs', () => edit((l) => (l.images.rootfs = { partition: 'rootfs', ramAddress: 0 })), /images\.rootfs\.ramAddress: expected no ramAddress/],
    ['an unknown image role', () => edit((l) => (l.images.kernal = { partition: 'kernel' })), /images\.kernal: expected one of the fields bootstrap, uboot, env, kernel/],
    ['an unknown loader', () => edit((l) => (l.loader = 'grub')), /loader: expected one of at91bootstrap, u-boot, spl-falcon, kexec, found "grub"/],
    ['a list at the top', () => '[]', /^b\.json:1:1: \(top level\): expected an object, found \[\]/],
  ])('refuses %s with a located message', (_what, make, message) => {
    const e = errorOf(() => parseLayout(make(JSON.stringify(SOUND, null, 2)), 'b.json'));
    expect(e.code).toBe('BAD_LAYOUT');
    expect(e.message).toMatch(message);
  });
});
