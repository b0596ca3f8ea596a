/**
 * Every inspection rule made to fire and kept quiet, on fixtures/inspect and on images built around them here, and
 * the loader verdicts behind the refusal rules.
 */
import { describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { RULES, type RuleId } from '../src/findings.js';
import { buildImage } from '../src/formats/uimage/image.js';
import { IH_ARCH } from '../src/formats/uimage/tables.js';
import { inspect, type InspectOptions } from '../src/inspect/inspect.js';
import { allFindings } from '../src/inspect/present.js';
import { fixture } from './helpers.js';
import { shRomImage } from './romimage-build.js';

const f = (name: string) => fixture(`inspect/${name}`);
const rulesOf = async (bytes: Uint8Array, opts: InspectOptions = {}) => allFindings((await inspect(fromBytes(bytes), opts)).root).map((x) => x.rule);
const uimage = (parts: Uint8Array[], over: Partial<Parameters<typeof buildImage>[0]> = {}) =>
  buildImage({ arch: IH_ARCH.ARM, os: 5, type: 2, comp: 0, load: 0x80008000, time: 1700000000, name: 'test', parts, ...over });
const flip = (b: Uint8Array, at: number) => {
  const c = b.slice();
  c[at] ^= 0xff;
  return c;
};

/** Each rule: bytes (and options) that make it fire, and bytes that keep it quiet. */
type Case = { fire: () => Promise<[Uint8Array, InspectOptions?]>; quiet: () => Promise<[Uint8Array, InspectOptions?]> };
const CASES: Partial<Record<RuleId, Case>> = {
  'comp-mismatch': {
    fire: async () => [await uimage([f('image-arm64.gz')], { arch: IH_ARCH.ARM64 })],
    quiet: async () => [f('uimage-arm64-gzip.img')],
  },
  'entry-outside': {
    fire: async () => [await uimage([f('zimage-xz.bin')], { entry: 0x1000 })],
    quiet: async () => [f('uimage-zimage.img')],
  },
  'header-crc': {
    fire: async () => [flip(f('uimage-zimage.img'), 40)],
    quiet: async () => [f('uimage-zimage.img')],
  },
  'data-crc': {
    fire: async () => [flip(f('uimage-zimage.img'), 64 + 0x300), { deep: true }],
    quiet: async () => [flip(f('uimage-zimage.img'), 64 + 0x300)], // header-only inspection does not read the data
  },
  'truncated': {
    fire: async () => [f('uimage-zimage.img').subarray(0, 5000)],
    quiet: async () => [f('uimage-zimage.img')],
  },
  'trailing-bytes': {
    fire: async () => [new Uint8Array([...f('uimage-zimage.img'), 0xff, 0xff, 0xff, 0xff])],
    quiet: async () => [f('zimage-dtb.bin')], // an appended DTB is not trailing
  },
  'malformed': {
    fire: async () => {
      const b = f('board.dtb').slice();
      b[0x18 + 3] = 99; // last_comp_version 99
      return [b];
    },
    quiet: async () => [f('board.dtb')],
  },
  'bootm-len': {
    fire: async () => [f('uimage-arm64-gzip.img'), { bootmLen: 32 << 10 }],
    quiet: async () => [f('uimage-arm64-gzip.img')],
  },
  'zimage-overlap': {
    fire: async () => [f('uimage-zimage.img')], // load 0x80008000: where its kernel decompresses
    quiet: async () => [await uimage([f('zimage-xz.bin')], { load: 0x82000000 })],
  },
  'fdt-overlap': {
    fire: async () => [f('zimage-xz.bin'), { loadAddress: 0x82000000, fdtAddress: 0x80010000 }],
    quiet: async () => [f('zimage-xz.bin'), { loadAddress: 0x82000000, fdtAddress: 0x88000000 }],
  },
  'mkimage-defaults': {
    fire: async () => [f('uimage-defaults.img')],
    quiet: async () => [f('uimage-zimage.img')],
  },
  'arch-mismatch': {
    fire: async () => [f('uimage-arm-arm64.img')],
    quiet: async () => [await uimage([f('image-arm64.bin')], { arch: IH_ARCH.ARM64, load: 0x40080000 })],
  },
  'no-uboot-command': {
    fire: async () => [f('zimage-be.bin')],
    quiet: async () => [f('zimage-xz.bin')],
  },
  'kexec-refuses': {
    fire: async () => [f('uimage-multi.img')],
    quiet: async () => [f('uimage-zimage.img')],
  },
  'romimage-page': {
    fire: async () => [await shRomImage({ marker: 0 })],
    quiet: async () => [await shRomImage()],
  },
  'ram-size-unknown': {
    fire: async () => [f('zimage-be.bin')], // no extension table, as before Linux 4.7
    quiet: async () => [f('zimage-xz.bin')],
  },
  'at91bootstrap-refuses': {
    fire: async () => [await uimage([f('image-arm64.gz')], { comp: 1 })],
    quiet: async () => [f('uimage-zimage.img')],
  },
};

/** Rules of another command that inspect also fires. */
const ALSO_INSPECTED: RuleId[] = ['ram-size-unknown'];

describe('inspection rules', () => {
  it('has a fire/quiet case for every inspection rule', () => {
    const inspection = Object.values(RULES).filter((r) => r.scope === 'inspect').map((r) => r.id);
    expect([...inspection, ...ALSO_INSPECTED].sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [rule, c] of Object.entries(CASES) as [RuleId, Case][]) {
    it(`${rule} fires`, async () => {
      const [bytes, opts] = await c.fire();
      expect(await rulesOf(bytes, opts)).toContain(rule);
    });
    it(`${rule} stays quiet`, async () => {
      const [bytes, opts] = await c.quiet();
      expect(await rulesOf(bytes, opts)).not.toContain(rule);
    });
  }

  it('a sound uImage around a zImage loaded high has no findings at all', async () => {
    expect(await rulesOf(await uimage([f('zimage-xz.bin')], { load: 0x82000000 }))).toEqual([]);
  });

  it('fdt-overlap also covers the stack and malloc area a zImage running in place uses past its end', async () => {
    const z = f('zimage-xz.bin');
    const end = 0x82000000 + new DataView(z.buffer, z.byteOffset).getUint32(0x2c, true);
    expect(await rulesOf(f('zimage-xz.bin'), { loadAddress: 0x82000000, fdtAddress: end + 0x1000 })).toEqual(['fdt-overlap']);
    expect(await rulesOf(f('zimage-xz.bin'), { loadAddress: 0x82000000, fdtAddress: end + 0x11000 })).toEqual([]);
  });

  it('a damaged kernel header or payload is a finding, with the offset, expected and found', async () => {
    const findingsOf = async (bytes: Uint8Array) => allFindings((await inspect(fromBytes(bytes))).root);
    // zimage-xz.bin: endianness word at 0x30, table at 0x100 (KLSZ tag at 0x104), xz payload at 0x181.
    expect(await findingsOf(flip(f('zimage-xz.bin'), 0x181))).toEqual([expect.objectContaining({
      rule: 'malformed', severity: 'error', offset: 0x100, message: expect.stringMatching(/no compressed kernel in \[0x00000100, .*before the size word at 0x.*expected a gzip.*found none/),
    })]);
    expect(await findingsOf(flip(f('zimage-xz.bin'), 0x30))).toEqual([expect.objectContaining({
      rule: 'malformed', offset: 0x30, message: expect.stringContaining('is 0x040302fe, expected 0x04030201'),
    })]);
    expect(await findingsOf(flip(f('zimage-xz.bin'), 0x104))).toEqual([expect.objectContaining({
      rule: 'ram-size-unknown', severity: 'warning', offset: 0x104, message: expect.stringContaining('expected the tag 0x5a534c4b ("KLSZ") at 0x00000104, found 0x5a534cb4'),
    })]);
    // bzimage.bin: one setup sector, payload_offset 0x40: the xz stream at 0x440.
    expect(await findingsOf(flip(f('bzimage.bin'), 0x440))).toEqual([expect.objectContaining({
      rule: 'malformed', severity: 'error', offset: 0x440, message: expect.stringContaining('is not a compressed stream: expected a gzip, bzip2, lzma, xz, lzo, lz4 or zstd header that checks out, found 02 37 7a 58 5a 00'),
    })]);
    expect(await findingsOf(f('bzimage.bin'))).toEqual([]);
  });

  it('mkimage-defaults stands in for the comp and arch rules it implies', async () => {
    const rules = await rulesOf(f('uimage-defaults.img'));
    expect(rules).not.toContain('comp-mismatch');
    expect(rules).not.toContain('arch-mismatch');
  });

  it('accepts a 64-bit bzImage under an x86 or x86_64 header', async () => {
    for (const arch of [3, 24]) expect(await rulesOf(await uimage([f('bzimage.bin')], { arch }))).not.toContain('arch-mismatch');
    expect(await rulesOf(await uimage([f('bzimage.bin')], { arch: IH_ARCH.ARM }))).toContain('arch-mismatch');
  });

  it('bootm-len also covers what booti decompresses: a compressed arm64 Image (--deep)', async () => {
    expect(await rulesOf(f('image-arm64.gz'), { deep: true, bootmLen: 32 << 10 })).toEqual(['bootm-len']);
    expect(await rulesOf(f('image-arm64.gz'), { deep: true })).toEqual([]);
    expect(await rulesOf(f('image-arm64.gz'), { bootmLen: 32 << 10 })).toEqual([]); // what it holds is unknown without --deep
  });

  it('checks a kernel_noload entry as an offset into the data', async () => {
    const noload = (entry: number) => uimage([f('zimage-xz.bin')], { type: 14, load: 0, entry });
    expect(await rulesOf(await noload(0))).not.toContain('entry-outside');
    expect(await rulesOf(await noload(0x100000))).toContain('entry-outside');
  });
});

describe('loader verdicts', () => {
  const verdicts = async (bytes: Uint8Array) => Object.fromEntries((await inspect(fromBytes(bytes))).loaders.map((v) => [v.loader, v.accepts && v.how]));

  it.each([
    ['zimage-xz.bin', { 'U-Boot': 'bootz', 'kexec-tools': 'zImage', 'AT91Bootstrap': 'zImage' }],
    ['image-arm64.bin', { 'U-Boot': 'booti', 'kexec-tools': 'Image' }],
    ['image-riscv.bin', { 'U-Boot': 'booti', 'kexec-tools': false }],
    ['bzimage.bin', { 'U-Boot': 'zboot', 'kexec-tools': 'bzImage64' }],
    ['hello-arm64.elf', { 'U-Boot': 'bootelf', 'kexec-tools': 'elf' }],
    ['uimage-zimage.img', { 'U-Boot': 'bootm', 'kexec-tools': 'uImage', 'AT91Bootstrap': 'uImage' }],
    ['uimage-arm64-gzip.img', { 'U-Boot': 'bootm', 'kexec-tools': 'uImage' }],
    ['uimage-script.img', { 'U-Boot': 'source', 'kexec-tools': false }],
    ['uimage-multi.img', { 'U-Boot': 'bootm', 'kexec-tools': false, 'AT91Bootstrap': false }],
    ['board.dtb', {}],
  ])('%s', async (name, expected) => {
    expect(await verdicts(f(name))).toEqual(expected);
  });

  it('cannot tell what a compressed stream holds without --deep', async () => {
    const r = await inspect(fromBytes(f('image-arm64.gz')));
    expect(r.loaders.map((v) => v.accepts)).toEqual([null, null]);
  });
});
