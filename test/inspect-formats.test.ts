/**
 * The format modules against fixtures/inspect (written by scripts/make-inspect-fixtures.js from the kernel's
 * documented layouts and the real tools). Expected values come from the raw bytes, read here with DataView, and from
 * the real tools (readelf, xz, fdtget), never from our own decoders.
 */
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fromBytes } from '../src/bytes/source.js';
import { arm64ImageFormat, encodeArm64Header, decodeArm64Header } from '../src/formats/image-arm64/image-arm64.js';
import { bzImageFormat } from '../src/formats/bzimage/bzimage.js';
import { elfFormat, type Elf } from '../src/formats/elf/elf.js';
import { fdtFormat, type FdtSummary } from '../src/formats/fdt/format.js';
import { FdtSequentialWriter } from '../src/formats/fdt/writer.js';
import { decodeRiscvHeader, encodeRiscvHeader, riscvImageFormat } from '../src/formats/image-riscv/image-riscv.js';
import { FORMATS, PROBE_BYTES, probeFormat } from '../src/formats/registry.js';
import { zImageArmFormat, type ZImageArm } from '../src/formats/zimage-arm/zimage-arm.js';
import { join } from 'node:path';
import { FIXTURES, fixture, hasTool } from './helpers.js';

const u32 = (b: Uint8Array, o: number, le = true) => new DataView(b.buffer, b.byteOffset).getUint32(o, le);
const u16 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint16(o, true);
const u64 = (b: Uint8Array, o: number) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(o, true));
const inspectFixture = (name: string) => fixture(`inspect/${name}`);
const kernel = inspectFixture('in/kernel.bin');

function tool(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

describe('registry', () => {
  it.each([
    ['zimage-xz.bin', 'zimage-arm'], ['zimage-be.bin', 'zimage-arm'], ['image-arm64.bin', 'image-arm64'],
    ['image-riscv.bin', 'image-riscv'], ['bzimage.bin', 'bzimage'], ['board.dtb', 'fdt'], ['hello-arm.elf', 'elf'],
    ['uimage-zimage.img', 'uimage'], ['image-arm64.gz', 'compressed'],
  ])('probes %s as %s', (name, id) => {
    const b = inspectFixture(name);
    expect(probeFormat(b.subarray(0, PROBE_BYTES), b.length)?.id).toBe(id);
  });

  it('gives every format a name, signatures and a unique id', () => {
    expect(new Set(FORMATS.map((f) => f.id)).size).toBe(FORMATS.length);
    for (const f of FORMATS) {
      expect(f.name).toBeTruthy();
      expect(f.signatures?.length).toBeGreaterThan(0);
    }
  });
});

describe('ARM zImage', () => {
  const decode = async (b: Uint8Array) => zImageArmFormat.decode(fromBytes(b));

  it('reads the 6.1 header and table, and finds the payload past the decoy magics', async () => {
    const b = inspectFixture('zimage-xz.bin');
    const { value: z, parts, findings } = await decode(b);
    const table = u32(b, 0x38);
    expect(z).toMatchObject({ endianness: 'little', efiStub: false, start: u32(b, 0x28), end: u32(b, 0x2c), endianFlag: 0x04030201, tableOffset: table });
    expect(z.length).toBe(b.length);
    expect(z.kernelSize).toEqual({
      sizeOffset: u32(b, table + 8), bssSize: u32(b, table + 12), textOffset: u32(b, table + 16), mallocSize: u32(b, table + 20),
      decompressedSize: kernel.length,
    });
    // The decoys at 0x140 (xz) and 0x160 (gzip) are skipped; what is left decompresses to the kernel.
    expect(z.payload).toEqual({ format: 'xz', offset: 0x181, length: u32(b, table + 8) - 0x181 });
    expect(new Uint8Array(tool('xz', ['-dc'], b.subarray(0x181, u32(b, table + 8))))).toEqual(kernel);
    expect(parts).toEqual([{ name: 'payload', offset: 0x181, length: z.payload!.length, format: 'xz', uncompressedSize: kernel.length, sizeSource: 'zimage-size-tag' }]);
    expect(findings).toEqual([]);
  });

  it('finds the kernel size record by its tag when the count is 2 (Linux 5.4), and keeps gzip\'s ISIZE in the stream', async () => {
    const b = inspectFixture('zimage-gzip-v5.bin');
    const { value: z } = await decode(b);
    expect(u32(b, u32(b, 0x38))).toBe(2);
    expect(z.efiStub).toBe(true);
    expect(z.peHeaderOffset).toBe(0x40);
    expect(z.kernelSize).toEqual({ sizeOffset: u32(b, 0x100 + 8), bssSize: 0x1234, decompressedSize: kernel.length });
    expect(z.payload?.format).toBe('gzip');
    expect(new Uint8Array(gunzipSync(b.subarray(z.payload!.offset, z.payload!.offset + z.payload!.length)))).toEqual(kernel);
  });

  it('reads a big-endian header and finds the payload without a table', async () => {
    const b = inspectFixture('zimage-be.bin');
    const { value: z } = await decode(b);
    expect(z).toMatchObject({ endianness: 'big', start: 0, end: u32(b, 0x2c, false), endianFlag: 0x04030201 });
    expect(z.tableOffset).toBeUndefined();
    expect(z.kernelSize).toBeUndefined();
    expect(z.payload).toMatchObject({ format: 'gzip', offset: 0x181 });
  });

  it('sees an appended DTB after end and names it as a part', async () => {
    const b = inspectFixture('zimage-dtb.bin');
    const dtb = inspectFixture('board.dtb');
    const { value: z, parts, findings } = await decode(b);
    expect(z.appendedDtb).toEqual({ offset: u32(b, 0x2c), totalSize: dtb.length });
    expect(z.trailingBytes).toBe(0);
    expect(parts?.at(-1)).toEqual({ name: 'appended DTB', offset: u32(b, 0x2c), length: dtb.length, format: 'fdt' });
    expect(findings).toEqual([]);
  });

  it('reports bytes after the zImage, a cut-short file and an end below start', async () => {
    const b = inspectFixture('zimage-xz.bin');
    const rules = async (x: Uint8Array) => (await decode(x)).findings.map((f) => f.rule);
    expect(await rules(new Uint8Array([...b, 1, 2, 3]))).toEqual(['trailing-bytes']);
    expect(await rules(b.subarray(0, b.length - 100))).toContain('truncated');
    const bad = b.slice();
    new DataView(bad.buffer).setUint32(0x28, 0xffff0000, true);
    expect(await rules(bad)).toEqual(['malformed']);
  });
});

describe('arm64 and RISC-V Image', () => {
  it('decodes every arm64 header field', async () => {
    const b = inspectFixture('image-arm64.bin');
    const { value: h, findings, arch } = await arm64ImageFormat.decode(fromBytes(b));
    expect(h).toEqual({
      code0: u32(b, 0), code1: u32(b, 4), textOffset: u64(b, 8), imageSize: u64(b, 16), flags: u64(b, 24),
      flagBits: { bigEndian: false, pageSize: 4096, anywhereInRam: true }, magic: 0x644d5241, efiStub: false,
    });
    expect(arch).toBe('arm64');
    expect(findings).toEqual([]);
  });

  it('encodes a header that decodes back and that file(1) recognises', () => {
    const big = encodeArm64Header({ textOffset: 0x80000, imageSize: 0x123000, flags: { pageSize: 65536, anywhereInRam: false } });
    expect(decodeArm64Header(big)).toMatchObject({ textOffset: 0x80000, imageSize: 0x123000, flagBits: { bigEndian: false, pageSize: 65536, anywhereInRam: false } });
    expect(u64(big, 0x18)).toBe(3 << 1);
    // (file 5.44 reads the page-size bits as independent flags, so only 4K prints cleanly.)
    const head = encodeArm64Header({ textOffset: 0, imageSize: 0x10000 });
    if (hasTool('file')) expect(tool('file', ['-b', '-'], head).toString()).toMatch(/^Linux kernel ARM64 boot executable Image, little-endian, 4K pages$/m);
  });

  it('decodes every RISC-V header field and round-trips the encoder', async () => {
    const b = inspectFixture('image-riscv.bin');
    const { value: h, arch } = await riscvImageFormat.decode(fromBytes(b));
    expect(h).toEqual({
      code0: u32(b, 0), code1: u32(b, 4), textOffset: u64(b, 8), imageSize: u64(b, 16), flags: 0, bigEndian: false,
      version: { major: u32(b, 0x20) >>> 16, minor: u32(b, 0x20) & 0xffff }, hasMagic: true, hasMagic2: true, efiStub: false,
    });
    expect(arch).toBe('riscv');
    expect(encodeRiscvHeader({ textOffset: h.textOffset, imageSize: h.imageSize })).toEqual(b.subarray(0, 64));
    expect(decodeRiscvHeader(encodeRiscvHeader({ textOffset: 0, imageSize: 1 }))).toMatchObject({ textOffset: 0, imageSize: 1 });
  });
});

describe('x86 bzImage', () => {
  it('decodes the setup header, the version string and the payload with its size trailer', async () => {
    const b = inspectFixture('bzimage.bin');
    const { value: h, parts, arch } = await bzImageFormat.decode(fromBytes(b));
    const pm = (b[0x1f1]! + 1) * 512;
    const versionAt = u16(b, 0x20e) + 0x200;
    const version = Buffer.from(b.subarray(versionAt, b.indexOf(0, versionAt))).toString();
    expect(h).toMatchObject({
      setupSects: b[0x1f1], protectedModeOffset: pm, rootFlags: u16(b, 0x1f2), syssize: u32(b, 0x1f4), vidMode: 0xffff,
      bootFlag: 0xaa55, protocol: { major: 2, minor: 15, raw: u16(b, 0x206) }, kernelVersion: version,
      loadflags: { raw: 1, loadedHigh: true, quiet: false, keepSegments: false, canUseHeap: false },
      code32Start: u32(b, 0x214), initrdAddrMax: u32(b, 0x22c), kernelAlignment: u32(b, 0x230), relocatable: true,
      minAlignment: b[0x235], xloadflags: u16(b, 0x236), cmdlineSize: u32(b, 0x238), payloadOffset: u32(b, 0x248),
      payloadLength: u32(b, 0x24c), payloadFileOffset: pm + u32(b, 0x248), prefAddress: BigInt(u64(b, 0x258)), initSize: u32(b, 0x260),
      efiStub: true,
    });
    expect(arch).toBe('x86_64');
    const end = pm + u32(b, 0x248) + u32(b, 0x24c);
    const elf = tool('xz', ['-dc'], b.subarray(pm + u32(b, 0x248), end - 4));
    expect(parts).toEqual([{ name: 'payload', offset: pm + u32(b, 0x248), length: u32(b, 0x24c), uncompressedSize: elf.length, sizeSource: 'bzimage-size-trailer' }]);
  });

  it('reports a payload that runs past the end', async () => {
    const b = inspectFixture('bzimage.bin');
    const { findings, parts } = await bzImageFormat.decode(fromBytes(b.subarray(0, b.length - 10)));
    expect(findings.map((f) => f.rule)).toEqual(['truncated']);
    expect(parts).toEqual([]);
  });
});

describe('flattened device tree', () => {
  const dtb = inspectFixture('board.dtb');

  it('reads the header, reservations, model, compatible and /chosen as fdtget does', async () => {
    const { value: v, findings } = await fdtFormat.decode(fromBytes(dtb)) as { value: FdtSummary; findings: unknown[] };
    expect(v.header).toEqual({
      magic: 0xd00dfeed, totalSize: dtb.length, offDtStruct: u32(dtb, 8, false), offDtStrings: u32(dtb, 12, false),
      offMemRsvmap: u32(dtb, 16, false), version: 17, lastCompVersion: 16, bootCpuidPhys: 0,
      sizeDtStrings: u32(dtb, 32, false), sizeDtStruct: u32(dtb, 36, false),
    });
    expect(v.reservations).toEqual([{ address: 0x8f000000n, size: 0x100000n }]);
    expect(findings).toEqual([]);
    expect(v.nodeCount).toBe(3);
    if (!hasTool('fdtget')) return;
    const get = (path: string, prop: string) => tool('fdtget', ['-t', 's', '-', path, prop], dtb).toString().trim();
    expect(v.model).toBe(get('/', 'model'));
    expect(v.compatible).toEqual(get('/', 'compatible').split(' '));
    expect(v.bootargs).toBe(get('/chosen', 'bootargs'));
    expect(v.stdoutPath).toBe(get('/chosen', 'stdout-path'));
  });

  it('writes a tree dtc reads back (the sequential writer)', () => {
    const text = (t: string) => new TextEncoder().encode(t + '\0');
    const blob = new FdtSequentialWriter().beginNode('').property('model', text('made by uimg')).property('#size-cells', new Uint8Array([0, 0, 0, 1]))
      .beginNode('chosen').property('bootargs', text('console=ttyS0')).endNode().endNode().finish();
    if (!hasTool('dtc')) return;
    const dts = tool('dtc', ['-I', 'dtb', '-O', 'dts', '-'], blob).toString();
    expect(dts).toContain('model = "made by uimg";');
    expect(dts).toContain('bootargs = "console=ttyS0";');
  });

  it('stops at a broken structure with a finding, and reports a cut blob as truncated', async () => {
    const bad = dtb.slice();
    new DataView(bad.buffer).setUint32(u32(dtb, 8, false), 0x77, false); // first token
    expect((await fdtFormat.decode(fromBytes(bad))).findings.map((f) => f.rule)).toEqual(['malformed']);
    expect((await fdtFormat.decode(fromBytes(dtb.subarray(0, 200)))).findings.map((f) => f.rule)).toEqual(['truncated']);
    expect((await fdtFormat.decode(fromBytes(new Uint8Array([...dtb, 0, 0])))).findings.map((f) => f.rule)).toEqual(['trailing-bytes']);
  });
});

describe('ELF', () => {
  it.each(['hello-arm.elf', 'hello-arm64.elf'])('agrees with readelf on %s', async (name) => {
    const b = inspectFixture(name);
    const { value: e } = await elfFormat.decode(fromBytes(b)) as { value: Elf };
    if (!hasTool('readelf')) return;
    const path = join(FIXTURES, 'inspect', name);
    const header = tool('readelf', ['-h', '-W', path]).toString();
    const field = (label: string) => new RegExp(`${label}:\\s+(.*)`).exec(header)![1]!.trim();
    expect(`0x${e.entry.toString(16)}`).toBe(field('Entry point address'));
    expect(e.bits).toBe(field('Class') === 'ELF64' ? 64 : 32);
    expect(e.phnum).toBe(Number(field('Number of program headers')));
    const loads = tool('readelf', ['-l', '-W', path]).toString().split('\n').filter((l) => /^\s+LOAD/.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(e.segments.filter((s) => s.typeName === 'LOAD').map((s) => [Number(s.offset), s.vaddr, s.paddr, s.filesz, s.memsz]))
      .toEqual(loads.map((l) => [Number(l[1]), BigInt(l[2]!), BigInt(l[3]!), Number(l[4]), Number(l[5])]));
  });

  it('names the machine as uImage does', async () => {
    expect((await elfFormat.decode(fromBytes(inspectFixture('hello-arm.elf')))).arch).toBe('arm');
    expect((await elfFormat.decode(fromBytes(inspectFixture('hello-arm64.elf')))).arch).toBe('arm64');
  });
});
