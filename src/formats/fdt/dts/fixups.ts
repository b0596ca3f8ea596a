/**
 * What dtc does to a parsed tree between parsing and writing (checks.c's fixups, livetree.c's generators): read
 * explicit phandles, resolve `<&ref>` to phandles (allocating them as dtc does: the lowest unused number at or
 * above the last one given, `phandle` and/or `linux,phandle` appended per -H), insert the paths of `&ref`
 * values, drop unreferenced `/omit-if-no-ref/` nodes, and for overlays and -@ build `__symbols__`, `__fixups__` and
 * `__local_fixups__`.
 */
import { readU32BE, writeU32BE } from '../../../bytes/endian.js';
import { type DeviceTree, type DtNode, type DtProperty, type Marker, emptyNode } from '../tree.js';

export type PhandleFormat = 'legacy' | 'epapr' | 'both';

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** The tree with what the fixups need to find their way: full paths, parents, label and phandle indexes. */
export class TreeIndex {
  readonly path = new Map<DtNode, string>();
  readonly parent = new Map<DtNode, DtNode>();
  private readonly byLabel = new Map<string, DtNode>();
  private readonly phandles = new Map<number, DtNode>();
  /** Warnings dtc prints while generating (a label that exists twice in __symbols__). */
  readonly warnings: string[] = [];
  private readonly removed = new Set<DtNode>();
  private nextPhandle = 1;

  constructor(
    readonly tree: DeviceTree,
    readonly phandleFormat: PhandleFormat = 'epapr',
  ) {
    const walk = (n: DtNode, path: string) => {
      this.path.set(n, path);
      for (const l of n.labels) if (!this.byLabel.has(l)) this.byLabel.set(l, n);
      for (const c of n.children) {
        this.parent.set(c, n);
        walk(c, path === '/' ? `/${c.name}` : `${path}/${c.name}`);
      }
    };
    if (!tree.rootDeleted) walk(tree.root, '/');
  }

  pathOf(n: DtNode): string {
    return this.path.get(n) ?? n.name;
  }

  /** get_node_by_ref: `/`, a path, or a label. */
  byRef(ref: string): DtNode | undefined {
    if (this.tree.rootDeleted) return ref === '/' ? this.tree.root : undefined;
    if (ref === '/') return this.tree.root;
    if (ref.startsWith('/')) return this.byPath(this.tree.root, ref);
    const n = this.byLabel.get(ref);
    return n && !this.isRemoved(n) ? n : undefined;
  }

  private byPath(n: DtNode, path: string): DtNode | undefined {
    if (path === '') return n;
    let i = 0;
    while (path[i] === '/') i++;
    const rest = path.slice(i);
    const slash = rest.indexOf('/');
    const head = slash < 0 ? rest : rest.slice(0, slash);
    const child = n.children.find((c) => c.name === head);
    if (!child) return undefined;
    return slash < 0 ? child : this.byPath(child, rest.slice(slash + 1));
  }

  private isRemoved(n: DtNode): boolean {
    for (let m: DtNode | undefined = n; m; m = this.parent.get(m)) if (this.removed.has(m)) return true;
    return false;
  }

  byPhandle(phandle: number): DtNode | undefined {
    return this.phandles.get(phandle);
  }

  setPhandle(n: DtNode, phandle: number): void {
    n.phandle = phandle;
    if (!this.phandles.has(phandle)) this.phandles.set(phandle, n);
  }

  /** get_node_phandle: the node's phandle, allocating one (and its properties) if it has none. */
  phandleOf(n: DtNode): number {
    if (n.phandle !== 0 && n.phandle !== 0xffffffff) return n.phandle;
    while (this.phandles.has(this.nextPhandle)) this.nextPhandle++;
    const phandle = this.nextPhandle;
    this.setPhandle(n, phandle);
    const value = new Uint8Array(4);
    writeU32BE(value, 0, phandle);
    const add = (name: string) => {
      if (!n.properties.some((p) => p.name === name)) n.properties.push({ name, value, markers: [{ offset: 0, type: 'u32' }], labels: [] });
    };
    if (this.phandleFormat !== 'epapr') add('linux,phandle');
    if (this.phandleFormat !== 'legacy') add('phandle');
    return phandle;
  }

  /** delete_node, for omit-if-no-ref: the node leaves its parent's list. */
  remove(n: DtNode): void {
    const p = this.parent.get(n);
    if (!p) return;
    p.children = p.children.filter((c) => c !== n);
    this.removed.add(n);
  }
}

/** A check's report: which node (and property) and what is wrong, as dtc words it. */
export interface CheckFailure {
  node?: DtNode;
  prop?: DtProperty;
  message: string;
}
export type Fail = (f: CheckFailure) => void;

function phandleProp(ix: TreeIndex, n: DtNode, name: string, fail: Fail): number {
  const prop = n.properties.find((p) => p.name === name);
  if (!prop) return 0;
  if (prop.value.length !== 4) {
    fail({ node: n, prop, message: `bad length (${prop.value.length}) ${prop.name} property` });
    return 0;
  }
  const ref = prop.markers.find((m) => m.type === 'phandle-ref');
  if (ref) {
    if (n !== ix.byRef(ref.ref!)) fail({ node: n, message: `${prop.name} is a reference to another node` });
    return 0;
  }
  const phandle = readU32BE(prop.value, 0);
  if (phandle === 0 || phandle === 0xffffffff) {
    fail({ node: n, prop, message: `bad value (0x${phandle.toString(16)}) in ${prop.name} property` });
    return 0;
  }
  return phandle;
}

/** explicit_phandles: phandles written in the source (or read from a blob) are the nodes' own. */
export function explicitPhandles(ix: TreeIndex, n: DtNode, fail: Fail): void {
  let phandle = phandleProp(ix, n, 'phandle', fail);
  const legacy = phandleProp(ix, n, 'linux,phandle', fail);
  if (!phandle && !legacy) return;
  if (legacy && phandle && phandle !== legacy) fail({ node: n, message: "mismatching 'phandle' and 'linux,phandle' properties" });
  if (legacy && !phandle) phandle = legacy;
  const other = ix.byPhandle(phandle);
  if (other && other !== n) {
    fail({ node: n, message: `duplicated phandle 0x${phandle.toString(16)} (seen before at ${ix.pathOf(other)})` });
    return;
  }
  ix.setPhandle(n, phandle);
}

/** phandle_references: each `<&ref>` cell gets its target's phandle; in an overlay an unknown one stays 0xffffffff. */
export function phandleReferences(ix: TreeIndex, n: DtNode, fail: Fail): void {
  for (const prop of n.properties) {
    for (const m of prop.markers) {
      if (m.type !== 'phandle-ref') continue;
      const target = ix.byRef(m.ref!);
      if (!target) {
        if (!ix.tree.plugin) fail({ node: n, message: `Reference to non-existent node or label "${m.ref}"\n` });
        else writeU32BE(prop.value, m.offset, 0xffffffff);
        continue;
      }
      writeU32BE(prop.value, m.offset, ix.phandleOf(target));
      target.referenced = true;
    }
  }
}

/** path_references: each `&ref` in a value becomes the target's full path and a NUL, inserted in place. */
export function pathReferences(ix: TreeIndex, n: DtNode, fail: Fail): void {
  for (const prop of n.properties) {
    for (let i = 0; i < prop.markers.length; i++) {
      const m = prop.markers[i]!;
      if (m.type !== 'path-ref') continue;
      const target = ix.byRef(m.ref!);
      if (!target) {
        fail({ node: n, message: `Reference to non-existent node or label "${m.ref}"\n` });
        continue;
      }
      const path = latin1Bytes(ix.pathOf(target) + '\0');
      const v = new Uint8Array(prop.value.length + path.length);
      v.set(prop.value.subarray(0, m.offset));
      v.set(path, m.offset);
      v.set(prop.value.subarray(m.offset), m.offset + path.length);
      prop.value = v;
      for (let j = i + 1; j < prop.markers.length; j++) prop.markers[j]!.offset += path.length;
      target.referenced = true;
    }
  }
}

/** omit_unused_nodes: a `/omit-if-no-ref/` node nothing referenced goes (with -@, labelled nodes stay). */
export function omitUnusedNodes(ix: TreeIndex, n: DtNode, symbols: boolean): void {
  if (symbols && n.labels.length > 0) return;
  if (n.omitIfNoRef && !n.referenced) ix.remove(n);
}

function childNamed(parent: DtNode, name: string): DtNode {
  let c = parent.children.find((x) => x.name === name);
  if (!c) {
    c = emptyNode(name);
    parent.children.push(c);
  }
  return c;
}

/** append_to_property: a new property goes last; an existing one grows. */
function appendTo(n: DtNode, name: string, data: Uint8Array, type: Marker['type']): void {
  const p = n.properties.find((x) => x.name === name);
  if (p) {
    const v = new Uint8Array(p.value.length + data.length);
    v.set(p.value);
    v.set(data, p.value.length);
    p.markers.push({ offset: p.value.length, type, ref: name });
    p.value = v;
  } else n.properties.push({ name, value: data.slice(), markers: [{ offset: 0, type, ref: name }], labels: [] });
}

function walk(n: DtNode, f: (n: DtNode) => void): void {
  f(n);
  for (const c of n.children) walk(c, f);
}

/** generate_label_tree: one property per label holding the node's path; with -@ every labelled node gets a phandle. */
export function generateLabelTree(ix: TreeIndex, name: string, allocatePhandles: boolean): void {
  const root = ix.tree.root;
  let any = false;
  walk(root, (n) => (any ||= n.labels.length > 0));
  if (!any) return;
  const an = childNamed(root, name);
  const visit = (n: DtNode) => {
    if (n.labels.length > 0) {
      for (const l of n.labels) {
        if (an.properties.some((p) => p.name === l)) {
          ix.warnings.push(`WARNING: label ${l} already exists in /${an.name}`);
          continue;
        }
        an.properties.push({ name: l, value: latin1Bytes(ix.pathOf(n) + '\0'), markers: [{ offset: 0, type: 'string' }], labels: [] });
      }
      if (allocatePhandles) ix.phandleOf(n);
    }
    for (const c of [...n.children]) visit(c);
  };
  visit(root);
}

/** generate_fixups_tree and generate_local_fixups_tree, for overlays and -@. */
export function generateFixups(ix: TreeIndex): void {
  const root = ix.tree.root;
  const refs: { n: DtNode; prop: DtProperty; m: Marker; local: boolean }[] = [];
  walk(root, (n) => {
    for (const prop of n.properties) for (const m of prop.markers) if (m.type === 'phandle-ref') refs.push({ n, prop, m, local: ix.byRef(m.ref!) !== undefined });
  });
  if (refs.some((r) => !r.local)) {
    const fn = childNamed(root, '__fixups__');
    for (const r of refs) {
      if (r.local) continue;
      const path = ix.pathOf(r.n);
      if (path.includes(':') || r.prop.name.includes(':')) throw new FixupFatal('arguments should not contain \':\'');
      appendTo(fn, r.m.ref!, latin1Bytes(`${path}:${r.prop.name}:${r.m.offset}\0`), 'string');
    }
  }
  if (refs.some((r) => r.local)) {
    const lfn = childNamed(root, '__local_fixups__');
    for (const r of refs) {
      if (!r.local) continue;
      const names: string[] = [];
      for (let m: DtNode | undefined = r.n; m && m !== root; m = ix.parent.get(m)) names.unshift(m.name);
      let wn = lfn;
      for (const name of names) wn = childNamed(wn, name);
      const off = new Uint8Array(4);
      writeU32BE(off, 0, r.m.offset);
      appendTo(wn, r.prop.name, off, 'u32');
    }
  }
}

/** A fatal error found while generating (dtc's die()). */
export class FixupFatal extends Error {}
