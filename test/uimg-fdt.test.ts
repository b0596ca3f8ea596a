/**
 * `uimg fdt get|list|put` against the real fdtget and fdtput (dtc 1.6.1): the same text for every property of
 * several blobs in every -t format, the same lists, and the same bytes after edits (or a refusal where fdtput
 * refuses, with the file unchanged).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdtPut, type FdtPutOp } from '../src/formats/fdt/fdtput.js';
import { parseFdt, fdtNodes, fdtValue } from '../src/formats/fdt/reader.js';
import { encodeFdtValue, formatFdtValue, parseFdtType } from '../src/formats/fdt/typed.js';
import { DTC_SKIP, haveDtc, tool } from './dtc-tools.js';
import { runOurs, tempDir } from './helpers.js';
import { skipped } from './skip.js';

if (!haveDtc) skipped('uimg fdt differential', DTC_SKIP);

const dir = tempDir('uimg-fdt-');

const SOURCE = `/dts-v1/;
/memreserve/ 0x1000 0x100;
/ {
  model = "Test board"; compatible = "v,board", "v,soc"; #address-cells = <1>; #size-cells = <1>;
  empty; one-empty-string = ""; strings-with-empty = "a", "", "b"; ctrl = "a\\tb"; high = [e9 00];
  cells = <1 0x80000000 0xffffffff 7>; bytes = [01 02 03]; shorts = /bits/ 16 <0x1234 5>; word = [41 42 43 44];
  aliases { serial0 = "/soc/uart@100"; broken = "soc"; };
  chosen { bootargs = "console=ttyS0,115200"; stdout-path = "serial0:115200n8"; };
  memory@80000000 { device_type = "memory"; reg = <0x80000000 0x10000000>; };
  soc { #address-cells = <1>; #size-cells = <1>; ranges;
    uart@100 { compatible = "ns16550a"; reg = <0x100 0x20>; clock-frequency = <24000000>; };
    uart@200 { reg = <0x200 0x20>; status = "disabled"; };
  };
};
`;

function compileBlob(): string {
  writeFileSync(join(dir, 'base.dts'), SOURCE);
  const out = join(dir, 'base.dtb');
  const r = tool('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', out, join(dir, 'base.dts')]);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

const TYPES = [undefined, 's', 'i', 'u', 'x', 'hhx', 'bx', 'bu', 'hx', 'hi', 'lx', 'li'];

describe.skipIf(!haveDtc)('uimg fdt get/list = fdtget', () => {
  it('every property in every -t format: the same text, or both refuse', () => {
    const file = compileBlob();
    const blob = new Uint8Array(readFileSync(file));
    const index = parseFdt(blob);
    const paths = new Map<object, string>();
    let compared = 0;
    for (const node of fdtNodes(index.root)) {
      const parentPath = [...paths.entries()].find(([n]) => (n as typeof node).children.includes(node))?.[1];
      const path = parentPath === undefined ? '/' : `${parentPath === '/' ? '' : parentPath}/${node.name}`;
      paths.set(node, path);
      for (const p of node.properties) {
        for (const t of TYPES) {
          const real = tool('fdtget', [...(t ? ['-t', t] : []), file, path, p.name]);
          let ours: string | undefined;
          try {
            ours = formatFdtValue(fdtValue(blob, p), t ? parseFdtType(t) : {}) + '\n';
          } catch {
            ours = undefined;
          }
          expect(ours, `fdtget ${t ? `-t ${t} ` : ''}${path} ${p.name}`).toBe(real.status === 0 ? real.stdout : undefined);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('the CLI: values, aliases, -d defaults, -p and -l lists as fdtget prints them', () => {
    const file = compileBlob();
    const cases: [string[], string[]][] = [
      [[file, '/chosen', 'bootargs'], ['get', file, '/chosen', 'bootargs']],
      [[file, 'serial0', 'compatible'], ['get', file, 'serial0', 'compatible']],
      [['-t', 'x', file, '/memory', 'reg'], ['get', '-t', 'x', file, '/memory', 'reg']],
      [['-d', 'none', file, '/chosen', 'missing'], ['get', '-d', 'none', file, '/chosen', 'missing']],
      [['-d', 'none', file, '/nowhere', 'x'], ['get', '-d', 'none', file, '/nowhere', 'x']],
      [['-p', file, '/soc/uart@100'], ['list', '-p', file, '/soc/uart@100']],
      [['-l', file, '/'], ['list', '-l', file, '/']],
      [['-l', file, 'serial0'], ['list', '-l', file, 'serial0']],
    ];
    for (const [real, ours] of cases) {
      const r = tool('fdtget', real);
      const o = runOurs('uimg', ['fdt', ...ours], dir);
      expect(o.stdout.toString('latin1'), `fdtget ${real.join(' ')}`).toBe(r.stdout);
      expect(o.status).toBe(r.status);
    }
    const both = runOurs('uimg', ['fdt', 'list', file, '/soc'], dir);
    expect(both.stdout.toString()).toBe('#address-cells\n#size-cells\nranges\nuart@100/\nuart@200/\n');
    const missing = runOurs('uimg', ['fdt', 'get', file, '/soc', 'nothing'], dir);
    expect(missing.status).toBe(4);
    expect(missing.stderr.toString()).toMatch(/^uimg: .*base\.dtb: node \/soc has no property "nothing" \(hint: /);
    const badAlias = runOurs('uimg', ['fdt', 'get', file, 'nosuch', 'x'], dir);
    expect(badAlias.stderr.toString()).toMatch(/no alias "nosuch" in \/aliases/);
    expect(tool('fdtget', [file, 'nosuch', 'x']).stderr).toBe("Error at 'nosuch': FDT_ERR_BADPATH\n");
  });
});

/** fdtput's command line for an edit. */
function fdtputArgs(op: FdtPutOp, t?: string, values: string[] = []): string[] {
  const type = t ? ['-t', t] : [];
  switch (op.kind) {
    case 'set': return [...(op.autoPath ? ['-p'] : []), ...type, '--', '@', op.path, op.prop, ...values];
    case 'delete': return ['-d', '@', op.path, ...op.props];
    case 'create': return ['-c', ...(op.autoPath ? ['-p'] : []), '@', ...op.paths];
    case 'remove': return ['-r', '@', ...op.paths];
  }
}

describe.skipIf(!haveDtc)('uimg fdt put = fdtput, byte for byte', () => {
  const set = (path: string, prop: string, values: string[], t?: string, autoPath = false) =>
    ({ op: { kind: 'set', path, prop, value: encodeFdtValue(values, t ? parseFdtType(t) : {}), autoPath } as FdtPutOp, t, values });
  const EDITS: { op: FdtPutOp; t?: string; values?: string[] }[] = [
    set('/chosen', 'bootargs', ['console=ttyAMA0', 'quiet'], 's'),
    set('/chosen', 'new-prop', ['1', '2', '3']),
    set('/chosen', 'linux,initrd-start', ['0x82000000'], 'x'),
    set('/chosen', 'bytes', ['1', '255', '0x10'], 'bi'),
    set('/chosen', 'neg', ['-1', '-2147483648'], 'i'),
    set('/chosen', 'u', ['4294967295'], 'u'),
    set('/', 'model', ['A much longer model name than before, to move the rest of the tree'], 's'),
    set('/', 'model', ['x'], 's'),
    set('/', 'empty', [], 's'),
    set('serial0', 'clock-frequency', ['48000000']),
    set('/new/deeper/node', 'status', ['okay'], 's', true),
    set('/soc/uart@200', 'status', ['okay'], 's', true),
    set('/nowhere', 'x', ['1']),
    { op: { kind: 'delete', path: '/soc/uart@100', props: ['clock-frequency', 'reg'] } },
    { op: { kind: 'delete', path: '/soc/uart@100', props: ['compatible', 'missing'] } },
    { op: { kind: 'create', paths: ['/a', '/a/b', '/soc/c@1'] } },
    { op: { kind: 'create', paths: ['/soc'] } },
    { op: { kind: 'create', paths: ['/x/y/z', '/soc'], autoPath: true } },
    { op: { kind: 'create', paths: ['noslash'] } },
    { op: { kind: 'remove', paths: ['/soc/uart@100', '/chosen'] } },
    { op: { kind: 'remove', paths: ['/soc', '/soc'] } },
  ];

  it('each edit: the same bytes as fdtput, or both refuse and the file is unchanged', () => {
    const base = new Uint8Array(readFileSync(compileBlob()));
    EDITS.forEach(({ op, t, values }, i) => {
      const real = join(dir, `real-${i}.dtb`);
      writeFileSync(real, base);
      const r = tool('fdtput', fdtputArgs(op, t, values).map((a) => (a === '@' ? real : a)));
      let ours: Uint8Array | undefined;
      try {
        ours = fdtPut(base, op);
      } catch {
        ours = undefined;
      }
      const where = `edit ${i}: fdtput ${fdtputArgs(op, t, values).join(' ')}`;
      if (r.status !== 0) expect(new Uint8Array(readFileSync(real)), where).toEqual(base);
      expect(ours && Buffer.from(ours).toString('hex'), where).toBe(r.status === 0 ? readFileSync(real).toString('hex') : undefined);
    });
  });

  it('the CLI edits in place as fdtput, with -o elsewhere, and leaves the file alone on failure', () => {
    const file = compileBlob();
    const base = readFileSync(file);
    const mine = join(dir, 'mine.dtb');
    const theirs = join(dir, 'theirs.dtb');
    const cmds: string[][] = [['-t', 's', '@', '/chosen', 'bootargs', 'root=/dev/mmcblk0p2', 'rw'], ['-p', '@', '/a/b', 'n', '1', '2'], ['-c', '@', '/c'], ['-d', '@', '/', 'model'], ['-r', '@', '/soc']];
    writeFileSync(mine, base);
    writeFileSync(theirs, base);
    for (const c of cmds) {
      expect(tool('fdtput', c.map((a) => (a === '@' ? theirs : a))).status).toBe(0);
      const o = runOurs('uimg', ['fdt', 'put', ...c.map((a) => (a === '@' ? mine : a))], dir);
      expect(o.status, o.stderr.toString()).toBe(0);
      expect(readFileSync(mine).equals(readFileSync(theirs)), c.join(' ')).toBe(true);
    }
    const out = join(dir, 'out.dtb');
    expect(runOurs('uimg', ['fdt', 'put', '-o', out, file, '/chosen', 'x', '5'], dir).status).toBe(0);
    expect(readFileSync(file).equals(base)).toBe(true);
    expect(tool('fdtget', [out, '/chosen', 'x']).stdout).toBe('5\n');
    const bad = runOurs('uimg', ['fdt', 'put', file, '/nowhere', 'x', '5'], dir);
    expect(bad.status).toBe(4);
    expect(bad.stderr.toString()).toMatch(/^uimg: .*base\.dtb: .*"\/nowhere"/);
    const badNumber = runOurs('uimg', ['fdt', 'put', file, '/chosen', 'x', '12abc'], dir);
    expect(badNumber.status).toBe(2);
    expect(badNumber.stderr.toString()).toMatch(/'12abc' is not a decimal integer/);
    expect(readFileSync(file).equals(base)).toBe(true);
  });
});
