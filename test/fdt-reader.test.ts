/**
 * The FDT reader, the full check, the sequential writer and the blob → DeviceTree conversion, against the real tools:
 * dtc compiles the inputs, fdtget reads back names and values, mkimage -f auto writes the FIT the sequential writer
 * and the editor must reproduce byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../src/bytes/crc32.js';
import { fromBytes, type ByteSource } from '../src/bytes/source.js';
import { checkFdtFull, checkFdtFullSource } from '../src/formats/fdt/check.js';
import { FdtEditor } from '../src/formats/fdt/editor.js';
import { FdtError, isFdtError } from '../src/formats/fdt/error.js';
import { FDT_HEADER_SIZE } from '../src/formats/fdt/header.js';
import { fdtNodes, fdtValue, findFdtNode, findFdtProperty, parseFdt, readFdt, readFdtValue, type FdtNodeEntry } from '../src/formats/fdt/reader.js';
import { deviceTreeFromBlob, readDeviceTree } from '../src/formats/fdt/unflatten.js';
import { FdtSequentialWriter } from '../src/formats/fdt/writer.js';
import { hasTool, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const HAVE_DTC = hasTool('dtc') && hasTool('fdtget');
if (!HAVE_DTC) skipped('fdt-reader comparisons', 'dtc or fdtget missing (apt-get install device-tree-compiler)');
const HAVE_MKIMAGE = hasTool('mkimage');
if (!HAVE_MKIMAGE) skipped('sequential writer vs mkimage -f auto', 'mkimage missing (apt-get install u-boot-tools)');

function dtc(source: string, extra: string[] = []): Uint8Array {
  const p = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', ...extra], { input: source });
  if (p.status !== 0) throw new Error(`dtc: ${p.stderr}`);
  return new Uint8Array(p.stdout);
}

const SOURCE = `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
/memreserve/ 0x20000000 0x100;
/ {
  model = "uimg test board"; compatible = "vendor,board", "vendor,soc";
  #address-cells = <1>; #size-cells = <1>;
  data-size = <4>; size = <8>; e = [01 02 03];
  chosen { bootargs = "console=ttyS0,115200"; stdout-path = "/soc/serial@1000"; };
  memory@80000000 { device_type = "memory"; reg = <0x80000000 0x10000000>; };
  soc { compatible = "simple-bus"; ranges;
    serial@1000 { compatible = "ns16550a"; reg = <0x1000 0x100>; status = "okay"; empty; };
    intc: interrupt-controller@2000 { interrupt-controller; #interrupt-cells = <2>; phandle = <7>; };
  };
};`;

/** A source that counts what is read through it. */
function counting(src: ByteSource): ByteSource & { reads: number; bytes: number } {
  const c = {
    size: src.size, reads: 0, bytes: 0,
    async read(offset: number, length: number) {
      const b = await src.read(offset, length);
      c.reads++;
      c.bytes += b.length;
      return b;
    },
    chunks: src.chunks.bind(src),
  };
  return c;
}

function pathsOf(node: FdtNodeEntry, path = ''): [string, FdtNodeEntry][] {
  return [[path || '/', node], ...node.children.flatMap((c) => pathsOf(c, `${path}/${c.name}`))];
}

describe.skipIf(!HAVE_DTC)('reader against dtc and fdtget', () => {
  const blob = dtc(SOURCE, ['-p', '64']);

  it('walks every node and property as fdtget lists them, values read on demand', async () => {
    const index = parseFdt(blob);
    expect(index.complete).toBe(true);
    expect(index.reservations).toEqual([{ address: 0x10000000n, size: 0x4000n }, { address: 0x20000000n, size: 0x100n }]);
    const fdtget = (args: string[]) => {
      const p = spawnSync('fdtget', args, { input: blob });
      expect(p.status, p.stderr.toString()).toBe(0);
      return p.stdout.toString();
    };
    const all = pathsOf(index.root);
    for (const [path, node] of all) {
      expect(node.children.map((c) => c.name).join('\n'), path).toBe(fdtget(['-l', '-', path]).trimEnd());
      expect(node.properties.map((p) => p.name).join('\n'), path).toBe(fdtget(['-p', '-', path]).trimEnd());
    }
    // Every value at once, as bytes, through fdtget -t bx.
    const pairs = all.flatMap(([path, n]) => n.properties.map((p) => [path, p] as const));
    const lines = fdtget(['-t', 'bx', '-', ...pairs.flatMap(([path, p]) => [path, p.name])]).split('\n');
    const src = counting(fromBytes(blob));
    const sourceIndex = await readFdt(src);
    expect(sourceIndex.root).toEqual(index.root);
    for (const [i, [, p]] of pairs.entries()) {
      const hex = [...fdtValue(blob, p)].map((b) => b.toString(16)).join(' ');
      expect(hex, p.name).toBe(lines[i]);
      expect(await readFdtValue(src, p)).toEqual(fdtValue(blob, p));
      // The recorded offsets point at the PROP token and its value.
      expect(new DataView(blob.buffer, blob.byteOffset).getUint32(p.offset)).toBe(3);
      expect(p.valueOffset).toBe(p.offset + 12);
    }
    for (const [, n] of all) {
      const view = new DataView(blob.buffer, blob.byteOffset);
      expect(view.getUint32(n.offset)).toBe(1);
      expect(view.getUint32(n.offset + n.length - 4)).toBe(2);
    }
  });

  it('finds nodes as fdt_path_offset does (a name without its unit address matches the first with one)', () => {
    const index = parseFdt(blob);
    expect(findFdtNode(index.root, '/memory')?.name).toBe('memory@80000000');
    expect(findFdtNode(index.root, '/soc/serial@1000')?.name).toBe('serial@1000');
    expect(findFdtNode(index.root, '/soc/serial@2000')).toBeUndefined();
    expect(findFdtProperty(findFdtNode(index.root, '/soc/serial'), 'empty')?.length).toBe(0);
    const ed = FdtEditor.wrap(blob.slice());
    expect(ed.nodeName(ed.pathOffset('/memory'))).toBe('memory@80000000');
    expect(ed.pathOffset('/soc/serial@1000') + ed.header.offDtStruct).toBe(findFdtNode(index.root, '/soc/serial')!.offset);
    expect(() => ed.pathOffset('/nothing')).toThrow(FdtError);
  });

  it('converts to the shared DeviceTree model, phandles read', async () => {
    const tree = deviceTreeFromBlob(blob);
    expect(tree.reservations.map((r) => r.size)).toEqual([0x4000n, 0x100n]);
    expect(tree.root.properties[0]!.name).toBe('model');
    const intc = tree.root.children.find((c) => c.name === 'soc')!.children[1]!;
    expect(intc.name).toBe('interrupt-controller@2000');
    expect(intc.phandle).toBe(7);
    expect(await readDeviceTree(fromBytes(blob))).toEqual(tree);
  });

  it('the full check accepts what dtc writes and names the offset of what is wrong', async () => {
    checkFdtFull(blob);
    await checkFdtFullSource(fromBytes(blob));
    const h = parseFdt(blob).header;
    const cases: [string, (b: Uint8Array) => void, string, RegExp][] = [
      ['magic', (b) => (b[0] = 0), 'BADMAGIC', /bad magic/],
      ['cut', () => {}, 'TRUNCATED', /totalsize says/],
      ['unknown token', (b) => new DataView(b.buffer).setUint32(h.offDtStruct, 7), 'BADSTRUCTURE', new RegExp(`unknown token 0x7 \\(at offset ${h.offDtStruct}\\)`)],
      ['root name', (b) => new DataView(b.buffer).setUint32(h.offDtStruct + 4, 0x41000000), 'BADSTRUCTURE', /root node is named "A"/],
      ['name offset', (b) => new DataView(b.buffer).setUint32(h.offDtStruct + 16, 0xffff), 'BADOFFSET', /name offset 65535 lies outside/],
      ['struct size', (b) => new DataView(b.buffer).setUint32(36, h.sizeDtStruct - 8), 'TRUNCATED', /a token runs past the structure block/],
      ['value length', (b) => new DataView(b.buffer).setUint32(h.offDtStruct + 12, 0x10000), 'BADSTRUCTURE', /a 65536-byte property value runs past/],
    ];
    for (const [what, mutate, code, message] of cases) {
      const bad = what === 'cut' ? blob.slice(0, blob.length - 1) : blob.slice();
      mutate(bad);
      let caught: unknown;
      try {
        checkFdtFull(bad);
      } catch (e) {
        caught = e;
      }
      expect(isFdtError(caught, code as never), `${what}: ${String(caught)}`).toBe(true);
      expect((caught as FdtError).message, what).toMatch(message);
      // fdtget (libfdt) refuses the same blobs (it looks at /model only, and never at
      // totalsize against the file's length or the root's name).
      if (!['cut', 'root name', 'struct size'].includes(what)) expect(spawnSync('fdtget', ['-', '/', 'model'], { input: bad }).status, what).not.toBe(0);
    }
  });
});

describe('reader bounds', () => {
  it('a tolerant read of a cut blob gives the nodes read so far and a TRUNCATED error', async () => {
    const w = new FdtSequentialWriter();
    w.beginNode('').property('model', new TextEncoder().encode('x\0'));
    for (let i = 0; i < 20; i++) w.beginNode(`n${i}`).property('reg', new Uint8Array(8)).endNode();
    const blob = w.endNode().finish();
    const cut = blob.subarray(0, 200);
    const index = await readFdt(fromBytes(cut), { tolerant: true });
    expect(index.error?.fdtCode).toBe('TRUNCATED');
    // The strings block comes last, so the first name is already missing: the root is all there is.
    expect(index.error?.message).toMatch(/the file ends inside the strings block \(name at \d+\) \(at offset \d+\)/);
    expect(index.root.properties).toEqual([]);
    await expect(readFdt(fromBytes(cut))).rejects.toThrow(FdtError);
    expect(() => parseFdt(new Uint8Array(10))).toThrow(/shorter than the 40-byte FDT header/);
  });

  it('values are skipped unread: a 64 MiB value costs no reads', async () => {
    const big = 64 << 20;
    const w = new FdtSequentialWriter();
    w.beginNode('').property('description', new TextEncoder().encode('big\0')).beginNode('images').beginNode('kernel-1');
    const head = w.property('data', new Uint8Array(0)).endNode().endNode().property('timestamp', new Uint8Array(4)).endNode().finish();
    // The same tree with a 64 MiB data value, built as a source without holding it: splice the length in.
    const index = parseFdt(head);
    const data = findFdtProperty(findFdtNode(index.root, '/images/kernel-1'), 'data')!;
    const before = head.subarray(0, data.valueOffset);
    const after = head.subarray(data.valueOffset);
    const total = head.length + big;
    const patchedHead = before.slice();
    const dv = new DataView(patchedHead.buffer);
    dv.setUint32(4, total);
    dv.setUint32(12, dv.getUint32(12) + big);
    dv.setUint32(36, dv.getUint32(36) + big);
    dv.setUint32(data.offset + 4, big);
    const src: ByteSource = {
      size: total,
      async read(offset, length) {
        const out = new Uint8Array(Math.max(0, Math.min(length, total - offset)));
        for (let i = 0; i < out.length; i++) {
          const at = offset + i;
          out[i] = at < before.length ? patchedHead[at]! : at < before.length + big ? 0xaa : after[at - before.length - big]!;
        }
        return out;
      },
      chunks: () => { throw new Error('not used'); },
    };
    const c = counting(src);
    const read = await readFdt(c);
    expect(read.complete).toBe(true);
    expect(findFdtProperty(read.root, 'timestamp')).toBeDefined();
    expect(c.bytes).toBeLessThan(512 << 10);
    expect(c.reads).toBeLessThan(10);
    expect([...fdtNodes(read.root)].map((n) => n.name)).toEqual(['', 'images', 'kernel-1']);
  });
});

describe.skipIf(!HAVE_MKIMAGE)('sequential writer + editor = mkimage -f auto', () => {
  it('the kernel-only auto FIT of fit.md §2.3, byte for byte', () => {
    const dir = tempDir('uimg-auto-');
    const kernel = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
    writeFileSync(join(dir, 'kernel.bin'), kernel);
    const p = spawnSync('mkimage', ['-f', 'auto', '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000',
      '-n', 'Linux kernel', '-d', 'kernel.bin', 'out.itb'], { cwd: dir, env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' } });
    expect(p.status, p.stderr.toString()).toBe(0);
    const real = new Uint8Array(readFileSync(join(dir, 'out.itb')));

    const s = (t: string) => new TextEncoder().encode(t + '\0');
    const u32 = (v: number) => new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
    const w = new FdtSequentialWriter();
    w.beginNode('').property('description', s('Kernel Image image with one or more FDT blobs')).property('creator', s('U-Boot mkimage 2023.01'))
      .property('#address-cells', u32(1));
    w.beginNode('images').beginNode('kernel-1').property('description', s('Linux kernel')).property('type', s('kernel')).property('arch', s('arm'))
      .property('os', s('linux')).property('compression', s('none')).property('load', u32(0x80008000)).property('entry', u32(0x80008000))
      .property('data', kernel).beginNode('hash-1').property('algo', s('crc32')).endNode().endNode().endNode();
    w.beginNode('configurations').property('default', s('conf-1')).beginNode('conf-1').property('kernel', s('kernel-1')).endNode().endNode();
    const packed = w.endNode().finish();
    expect(new DataView(packed.buffer).getUint32(24)).toBe(2);

    // mkimage's edits on B + 1024·k bytes, the smallest k that fits (§1.8).
    let out: Uint8Array | undefined;
    for (let k = 0; !out; k++) {
      const ed = FdtEditor.open(packed, packed.length + 1024 * k);
      try {
        ed.setProp(0, 'timestamp', u32(1700000000));
        const hash = ed.pathOffset('/images/kernel-1/hash-1');
        ed.setProp(hash, 'value', u32(crc32(kernel)));
        out = ed.bytes;
      } catch (e) {
        if (!isFdtError(e, 'NOSPACE')) throw e;
      }
    }
    expect(out.length).toBe(2608);
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(real).toString('hex'));
    expect(FDT_HEADER_SIZE).toBe(40);
  });
});
