/**
 * The FDT editor against the real fdtput (dtc 1.6.1): random edits on random trees compiled by the real dtc, each
 * edit done once by fdtput and once by our model of fdtput's steps (path lookup, setprop, on NOSPACE a realloc and
 * fdt_open_into by fdtput's own estimate, then fdt_pack). The same bytes must come out, or both must refuse.
 * Values are read back with the real fdtget too.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FdtEditor } from '../src/formats/fdt/editor.js';
import { isFdtError } from '../src/formats/fdt/error.js';
import { hasTool, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const HAVE = hasTool('fdtput') && hasTool('fdtget') && hasTool('dtc');
if (!HAVE) skipped('fdt-editor differential', 'fdtput, fdtget or dtc missing (apt-get install device-tree-compiler)');

/** A small seeded PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

// Names chosen so that suffix sharing in the strings block happens (data-size / size / e, cba / ba / a).
const PROPS = ['a', 'ba', 'cba', 'data', 'data-size', 'size', 'e', 'reg', 'compatible', 'status', 'x-size', 'value', 'timestamp'];
const NODES = ['n0', 'n1', 'sub', 'a', 'b@2', 'b@3', 'memory@0', 'chosen'];

function randomValue(r: Rng): { type: string; args: string[]; bytes: Uint8Array } {
  const kind = r.int(3);
  const n = r.int(kind === 0 ? 4 : 10);
  if (kind === 0) {
    const cells = Array.from({ length: n }, () => r.int(0x7fffffff));
    const bytes = new Uint8Array(4 * n);
    cells.forEach((c, i) => new DataView(bytes.buffer).setUint32(4 * i, c));
    return { type: 'x', args: cells.map((c) => c.toString(16)), bytes };
  }
  if (kind === 1) {
    const b = Array.from({ length: n }, () => r.int(256));
    return { type: 'bx', args: b.map((c) => c.toString(16)), bytes: new Uint8Array(b) };
  }
  const words = Array.from({ length: 1 + r.int(2) }, () => 'xyzw'.slice(0, r.int(5)) + 'q'.repeat(r.int(4)));
  return { type: 's', args: words, bytes: new TextEncoder().encode(words.map((w) => w + '\0').join('')) };
}

function randomDts(r: Rng): string {
  const node = (depth: number): string => {
    const props = [...new Set(Array.from({ length: r.int(5) }, () => r.pick(PROPS)))]
      .map((p) => r.next() < 0.3 ? `${p};` : r.next() < 0.5 ? `${p} = "${'v'.repeat(r.int(7))}";` : `${p} = <${Array.from({ length: r.int(3) + 1 }, () => r.int(1000)).join(' ')}>;`);
    const kids = depth < 3 ? [...new Set(Array.from({ length: r.int(4) }, () => r.pick(NODES)))] : [];
    return `{ ${props.join(' ')} ${kids.map((k) => `${k} ${node(depth + 1)};`).join(' ')} }`;
  };
  const rsv = r.next() < 0.3 ? '/memreserve/ 0x1000 0x2000;' : '';
  return `/dts-v1/; ${rsv} / ${node(0)};`;
}

function dtc(source: string, extra: string[] = []): Uint8Array {
  const p = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', ...extra], { input: source });
  if (p.status !== 0) throw new Error(`dtc: ${p.stderr}`);
  return new Uint8Array(p.stdout);
}

/** Every node's path, from our editor. */
function paths(ed: FdtEditor, node = 0, path = ''): string[] {
  return [path || '/', ...ed.subnodes(node).flatMap((c) => paths(ed, c, `${path}/${ed.nodeName(c)}`))];
}

type Op =
  | { kind: 'set'; path: string; prop: string; type: string; args: string[]; bytes: Uint8Array; auto: boolean }
  | { kind: 'del'; path: string; props: string[] }
  | { kind: 'create'; paths: string[]; auto: boolean }
  | { kind: 'remove'; paths: string[] };

function argv(op: Op): string[] {
  switch (op.kind) {
    case 'set': return [...(op.auto ? ['-p'] : []), '-t', op.type, op.path, op.prop, ...op.args];
    case 'del': return ['-d', op.path, ...op.props];
    case 'create': return ['-c', ...(op.auto ? ['-p'] : []), ...op.paths];
    case 'remove': return ['-r', ...op.paths];
  }
}

function randomOp(r: Rng, ed: FdtEditor): Op {
  const all = paths(ed);
  // Sometimes drop a unit address: libfdt then matches `b` to the first `b@...`.
  const somePath = () => {
    const p = r.pick(all);
    return r.next() < 0.2 ? p.replace(/@[^/]*$/, '') || '/' : p;
  };
  const k = r.next();
  if (k < 0.55) return { kind: 'set', path: r.next() < 0.1 ? `${somePath()}/new${r.int(2)}`.replace('//', '/') : somePath(), prop: r.pick(PROPS), ...randomValue(r), auto: r.next() < 0.1 };
  if (k < 0.72) return { kind: 'del', path: somePath(), props: Array.from({ length: 1 + r.int(2) }, () => r.pick(PROPS)) };
  if (k < 0.9) return { kind: 'create', paths: Array.from({ length: 1 + r.int(2) }, () => `${somePath()}/${r.pick(NODES)}`.replace('//', '/')), auto: r.next() < 0.2 };
  return { kind: 'remove', paths: [r.pick(all.filter((p) => p !== '/').concat(['/nonexistent']))] };
}

const ALIGN = (n: number) => (n + 3) & ~3;

/** fdtput's steps with our editor: the result, or undefined where fdtput reports an error and writes nothing. */
function ourFdtput(blob: Uint8Array, op: Op): Uint8Array | undefined {
  const ed = FdtEditor.wrap(blob.slice());
  const grow = (delta: number) => ed.openInto(ed.header.totalSize + delta);
  const createPaths = (path: string) => {
    let node = 0;
    for (const part of path.split('/').filter(Boolean)) {
      try {
        node = ed.subnodeOffset(node, part);
      } catch (e) {
        if (!isFdtError(e, 'NOTFOUND')) throw e;
        grow(8 + ALIGN(part.length + 1));
        node = ed.addSubnode(node, part);
      }
    }
  };
  try {
    switch (op.kind) {
      case 'set': {
        if (op.auto) createPaths(op.path);
        const node = ed.pathOffset(op.path);
        try {
          ed.setProp(node, op.prop, op.bytes);
        } catch (e) {
          if (!isFdtError(e, 'NOSPACE')) throw e;
          const old = ed.getProp(node, op.prop);
          const oldLen = old?.length ?? 0;
          grow((old ? 0 : 12 + op.prop.length + 1) + (op.bytes.length > oldLen ? ALIGN(op.bytes.length) - ALIGN(oldLen) : 0));
          ed.setProp(ed.pathOffset(op.path), op.prop, op.bytes);
        }
        break;
      }
      case 'del':
        for (const p of op.props) ed.delProp(ed.pathOffset(op.path), p);
        break;
      case 'create':
        for (const path of op.paths) {
          if (op.auto) createPaths(path);
          else {
            const cut = path.lastIndexOf('/');
            const name = path.slice(cut + 1);
            grow(8 + ALIGN(name.length + 1));
            ed.addSubnode(cut > 0 ? ed.pathOffset(path.slice(0, cut)) : 0, name);
          }
        }
        break;
      case 'remove':
        for (const path of op.paths) ed.delNode(ed.pathOffset(path));
        break;
    }
  } catch (e) {
    if (isFdtError(e)) return undefined;
    throw e;
  }
  ed.pack();
  return ed.bytes.slice();
}

function realFdtput(dir: string, blob: Uint8Array, op: Op): Uint8Array | undefined {
  const file = join(dir, 'x.dtb');
  writeFileSync(file, blob);
  const q = spawnSync('fdtput', [...argv(op).slice(0, optionCount(op)), file, ...argv(op).slice(optionCount(op))]);
  if (q.status !== 0) {
    expect(new Uint8Array(readFileSync(file))).toEqual(blob);
    return undefined;
  }
  return new Uint8Array(readFileSync(file));
}

function optionCount(op: Op): number {
  return op.kind === 'set' ? (op.auto ? 3 : 2) : op.kind === 'create' && op.auto ? 2 : 1;
}

describe.skipIf(!HAVE)('FdtEditor = fdtput, byte for byte', () => {
  it('hundreds of random edits on random trees', () => {
    const dir = tempDir('uimg-fdtput-');
    let edits = 0;
    let refused = 0;
    for (let tree = 0; tree < 12; tree++) {
      const r = rng(0x5eed + tree);
      let blob = dtc(randomDts(r), r.next() < 0.3 ? ['-p', String(r.int(64))] : []);
      for (let i = 0; i < 30; i++) {
        const op = randomOp(r, FdtEditor.wrap(blob.slice()));
        const theirs = realFdtput(dir, blob, op);
        const ours = ourFdtput(blob, op);
        const where = `tree ${tree}, edit ${i}: fdtput ${argv(op).join(' ')}`;
        if (theirs === undefined) {
          expect(ours, where).toBeUndefined();
          refused++;
          continue;
        }
        expect(ours, where).toBeDefined();
        expect(Buffer.from(ours!).toString('hex'), where).toBe(Buffer.from(theirs).toString('hex'));
        blob = theirs;
        edits++;
      }
    }
    expect(edits).toBeGreaterThan(250);
    expect(refused).toBeGreaterThan(10);
  });
});
