/**
 * `-I dts -O dts`: trees as dtc's parser builds them (type markers, labels inside values, resolved references),
 * written by emitDts, against the text the real dtc prints for the same source. The trees are built here by hand,
 * marker by marker as dtc-parser.y places them, so the writer is tested apart from the compiler.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitDts } from '../src/formats/fdt/dts/decompile.js';
import { formatPosition, runChecks } from '../src/formats/fdt/dts/checks.js';
import type { DeviceTree, DtNode, DtProperty, Marker } from '../src/formats/fdt/tree.js';
import { DTC_SKIP, haveDtc, tool } from './dtc-tools.js';
import { tempDir } from './helpers.js';
import { skipped } from './skip.js';

if (!haveDtc) skipped('dts emit differential', DTC_SKIP);

type Part =
  | { str: string }
  | { cells: (number | bigint | { ref: string; phandle: number })[]; bits?: 8 | 16 | 32 | 64 }
  | { bytes: number[] }
  | { label: string }
  | { path: string; ref: string };

/** A property value with its markers, as dtc's parser appends them part by part. */
function prop(name: string, parts: Part[], labels: string[] = []): DtProperty {
  const bytes: number[] = [];
  const markers: Marker[] = [];
  for (const p of parts) {
    if ('str' in p) {
      markers.push({ offset: bytes.length, type: 'string' });
      bytes.push(...Buffer.from(p.str, 'latin1'), 0);
    } else if ('cells' in p) {
      const bits = p.bits ?? 32;
      markers.push({ offset: bytes.length, type: bits === 8 ? 'u8' : `u${bits}` });
      for (const c of p.cells) {
        const v = typeof c === 'object' ? (markers.push({ offset: bytes.length, type: 'phandle-ref', ref: c.ref }), BigInt(c.phandle)) : BigInt(c);
        for (let i = bits / 8 - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(8 * i)) & 0xffn));
      }
    } else if ('bytes' in p) {
      markers.push({ offset: bytes.length, type: 'u8' });
      bytes.push(...p.bytes);
    } else if ('label' in p) {
      markers.push({ offset: bytes.length, type: 'label', ref: p.label });
    } else {
      markers.push({ offset: bytes.length, type: 'string', ref: p.ref }, { offset: bytes.length, type: 'path-ref', ref: p.ref });
      bytes.push(...Buffer.from(p.path, 'latin1'), 0);
    }
  }
  return { name, value: new Uint8Array(bytes), markers, labels };
}

function node(name: string, properties: DtProperty[], children: DtNode[] = [], labels: string[] = []): DtNode {
  return { name, properties, children, labels, phandle: 0 };
}

const dir = tempDir('uimg-dts-emit-');
function dtcText(source: string): string {
  const file = join(dir, 'x.dts');
  writeFileSync(file, source);
  const r = tool('dtc', ['-q', '-I', 'dts', '-O', 'dts', file]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const phandle1 = prop('phandle', []);
phandle1.value = new Uint8Array([0, 0, 0, 1]);

const CASES: [string, string, DeviceTree][] = [
  [
    'labels, mixed values, references',
    `/dts-v1/;
/memreserve/ 0x1000 0x20;
L1: /memreserve/ 0x2000 0x20;
/ { lab: a = "\\x80\\x01\\t", "b"; b = <1 2>, [33 44], l2: "x" l3:; c = /bits/ 16 <3>; d; e = &n, <&n>; f = <1 &n 2>;
  n: node@1 { reg = <1>; }; };
`,
    {
      plugin: false, bootCpuidPhys: 0,
      reservations: [{ address: 0x1000n, size: 0x20n, labels: [] }, { address: 0x2000n, size: 0x20n, labels: ['L1'] }],
      root: node('', [
        prop('a', [{ str: '\x80\x01\t' }, { str: 'b' }], ['lab']),
        prop('b', [{ cells: [1, 2] }, { bytes: [0x33, 0x44] }, { label: 'l2' }, { str: 'x' }, { label: 'l3' }]),
        prop('c', [{ cells: [3], bits: 16 }]),
        prop('d', []),
        prop('e', [{ path: '/node@1', ref: 'n' }, { cells: [{ ref: 'n', phandle: 1 }] }]),
        prop('f', [{ cells: [1, { ref: 'n', phandle: 1 }, 2] }]),
      ], [node('node@1', [prop('reg', [{ cells: [1] }]), phandle1], [], ['n'])]),
    },
  ],
  [
    "dtc's quirks: empty runs before others, /bits/ 8, 64-bit cells",
    `/dts-v1/;
/ { a = <>, "x"; b = [], <1>; c = "", ""; d = [00]; e = "a\\\\b\\"\\a\\b\\f\\v\\r\\n\\0x"; f = <0x12345678>;
  g = /bits/ 64 <5>; h = /bits/ 8 <1 2>; i = "x" lab:; j = lj: <lc: 1 2 lm: 3 le:> lz:; };
`,
    {
      plugin: false, bootCpuidPhys: 0, reservations: [],
      root: node('', [
        prop('a', [{ cells: [] }, { str: 'x' }]),
        prop('b', [{ bytes: [] }, { cells: [1] }]),
        prop('c', [{ str: '' }, { str: '' }]),
        prop('d', [{ bytes: [0] }]),
        prop('e', [{ str: 'a\\b"\x07\b\f\v\r\n\0x' }]),
        prop('f', [{ cells: [0x12345678] }]),
        prop('g', [{ cells: [5n], bits: 64 }]),
        prop('h', [{ cells: [1, 2], bits: 8 }]),
        prop('i', [{ str: 'x' }, { label: 'lab' }]),
        // Labels inside a cell list: dtc places them at the offsets between cells.
        { name: 'j', labels: [], value: new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]), markers: [
          { offset: 0, type: 'label', ref: 'lj' }, { offset: 0, type: 'u32' }, { offset: 0, type: 'label', ref: 'lc' },
          { offset: 8, type: 'label', ref: 'lm' }, { offset: 12, type: 'label', ref: 'le' }, { offset: 12, type: 'label', ref: 'lz' }] },
      ]),
    },
  ],
];

describe.skipIf(!haveDtc)('-I dts -O dts as dtc 1.6.1', () => {
  for (const [name, source, tree] of CASES) it(name, () => expect(emitDts(tree)).toBe(dtcText(source)));

  it('a tree from source without type markers (a phandle dtc added) is guessed like a blob', () => {
    const tree: DeviceTree = { plugin: false, bootCpuidPhys: 0, reservations: [], root: node('', [phandle1, prop('s', [{ str: 'ab' }])]) };
    expect(emitDts(tree)).toBe('/dts-v1/;\n\n/ {\n\tphandle = <0x01>;\n\ts = "ab";\n};\n');
  });

  it('a deleted root and /incbin/ data (a none marker) print as in dtc', () => {
    writeFileSync(join(dir, 'inc.bin'), 'abc\0');
    const source = '/dts-v1/;\n/ { a; x = /incbin/("inc.bin"); y = <1>, /incbin/("inc.bin"); b { }; };\n';
    const inc = [0x61, 0x62, 0x63, 0];
    const x: DtProperty = { name: 'x', labels: [], value: new Uint8Array(inc), markers: [{ offset: 0, type: 'none' }] };
    const y: DtProperty = { name: 'y', labels: [], value: new Uint8Array([0, 0, 0, 1, ...inc]), markers: [{ offset: 0, type: 'u32' }, { offset: 4, type: 'none' }] };
    const tree: DeviceTree = { plugin: false, bootCpuidPhys: 0, reservations: [], root: node('', [prop('a', []), x, y], [node('b', [])]) };
    expect(emitDts(tree)).toBe(dtcText(source));
    tree.rootDeleted = true;
    expect(emitDts(tree)).toBe(dtcText(source + '/delete-node/ &{/};\n'));
  });

  it('duplicate labels on nodes, properties and inside values: dtc\'s messages', () => {
    const source = '/dts-v1/;\n/ { l1: a = l2: <1 l3: 2>; l1: n { }; m { l2: x; }; k: o { }; p { l3: y = "x"; }; k: q {}; };\n';
    const file = join(dir, 'labels.dts');
    writeFileSync(file, source);
    const real = tool('dtc', ['-I', 'dts', '-O', 'dts', file]);
    const a: DtProperty = { name: 'a', labels: ['l1'], value: new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2]), markers: [
      { offset: 0, type: 'label', ref: 'l2' }, { offset: 0, type: 'u32' }, { offset: 4, type: 'label', ref: 'l3' }] };
    const tree: DeviceTree = { plugin: false, bootCpuidPhys: 0, reservations: [], root: node('', [a], [
      node('n', [], [], ['l1']), node('m', [prop('x', [], ['l2'])]), node('o', [], [], ['k']),
      node('p', [prop('y', [{ str: 'x' }], ['l3'])]), node('q', [], [], ['k'])]) };
    const report = runChecks(tree);
    // The tree has no source positions: compare what follows dtc's location prefix.
    const strip = (t: string) => t.replace(/^\S+: (ERROR|Warning)/gm, '$1');
    expect(strip(report.messages.map((m) => m.text).join('') + report.summary + '\n')).toBe(strip(real.stderr));
    expect(real.status).toBe(2);
    expect(report.abort).toBe(true);
  });

  it('a value that dtc would abort on is a typed error, not bad text', () => {
    const bad = prop('s', [{ str: 'ab' }]);
    bad.value = new Uint8Array([0x61, 0x62]);
    const tree: DeviceTree = { plugin: false, bootCpuidPhys: 0, reservations: [], root: node('', [bad]) };
    expect(() => emitDts(tree)).toThrow(/property s: a string run does not end in NUL/);
  });

  it('check messages carry source positions in dtc\'s three shapes, and "also defined at" lines', () => {
    const file = join(dir, 'pos.dts');
    writeFileSync(file, '/dts-v1/;\n/ {\n\tnode@1 {\n\t};\n};\n/ {\n\tnode@1 { x; };\n};\n');
    const real = tool('dtc', ['-I', 'dts', '-O', 'dtb', '-o', '/dev/null', file]);
    // dtc counts a tab as reaching the next 8-column stop: node@1 after one tab is column 9.
    const n = node('node@1', [prop('x', [])]);
    n.pos = { file, firstLine: 3, firstColumn: 9, lastLine: 4, lastColumn: 4 };
    n.alsoAt = [{ file, firstLine: 7, firstColumn: 9, lastLine: 7, lastColumn: 16 }];
    const tree: DeviceTree = { plugin: false, bootCpuidPhys: 0, reservations: [], root: node('', [], [n]) };
    const report = runChecks(tree, { outName: '/dev/null' });
    expect(report.messages.map((m) => m.text).join('')).toBe(real.stderr);
    expect(formatPosition({ file: 'a.dts', firstLine: 2, firstColumn: 3, lastLine: 2, lastColumn: 3 })).toBe('a.dts:2.3');
  });
});
