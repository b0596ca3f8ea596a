/**
 * The tree while a source is being parsed, with dtc's rules for putting blocks together (livetree.c): deleted
 * nodes, properties and labels stay in their lists, flagged, so that a later block that names them again revives
 * them in their old place; later `/ { }` and `&label { }` blocks merge into the tree (a property that exists takes
 * the new value where it stands, new ones go last, children merge by full name); `/delete-node/` and
 * `/delete-property/` act on what was merged before them; overlays put blocks for unknown targets into
 * `fragment@N/__overlay__`. Labels are kept in dtc's list order (dtc prepends a new label).
 * When parsing ends the live tree becomes a DeviceTree (src/formats/fdt/tree.ts) without the deleted parts.
 */
import type { DeviceTree, DtNode, DtProperty, Marker, SourcePosition } from '../tree.js';

export interface LiveLabel {
  name: string;
  deleted: boolean;
}

export interface LiveProperty {
  name: string;
  value: Uint8Array;
  markers: Marker[];
  labels: LiveLabel[];
  deleted: boolean;
  pos?: SourcePosition;
}

export interface LiveNode {
  /** Undefined until the grammar names it (the body of `&ref { }` never is). */
  name: string | undefined;
  properties: LiveProperty[];
  children: LiveNode[];
  labels: LiveLabel[];
  deleted: boolean;
  omitIfNoRef: boolean;
  pos?: SourcePosition;
  /** Where later blocks merged into this node were written. */
  alsoAt: SourcePosition[];
}

export interface LiveReservation {
  address: bigint;
  size: bigint;
  labels: LiveLabel[];
}

export function liveNode(properties: LiveProperty[], children: LiveNode[], pos?: SourcePosition): LiveNode {
  return { name: undefined, properties, children, labels: [], deleted: false, omitIfNoRef: false, pos, alsoAt: [] };
}

/** add_label: a label already there (even deleted) is revived in place; a new one goes in front. */
export function addLabel(labels: LiveLabel[], name: string): void {
  const old = labels.find((l) => l.name === name);
  if (old) old.deleted = false;
  else labels.unshift({ name, deleted: false });
}

function deleteLabels(labels: LiveLabel[]): void {
  for (const l of labels) l.deleted = true;
}

function deleteProperty(p: LiveProperty): void {
  p.deleted = true;
  deleteLabels(p.labels);
}

export function deleteNode(n: LiveNode): void {
  n.deleted = true;
  for (const c of n.children) if (!c.deleted) deleteNode(c);
  for (const p of n.properties) if (!p.deleted) deleteProperty(p);
  deleteLabels(n.labels);
}

function nodeByPath(tree: LiveNode, path: string): LiveNode | undefined {
  if (path === '') return tree.deleted ? undefined : tree;
  let i = 0;
  while (path[i] === '/') i++;
  const rest = path.slice(i);
  const slash = rest.indexOf('/');
  for (const c of tree.children) {
    if (c.deleted) continue;
    if (slash >= 0 && rest.slice(0, slash) === c.name) return nodeByPath(c, rest.slice(slash + 1));
    if (slash < 0 && rest === c.name) return c;
  }
  return undefined;
}

/**
 * Looks nodes up by label, as get_node_by_label does (the first node in tree order that carries the label, not
 * deleted), through an index of every node a label was ever given to: a node that is not deleted has no deleted
 * ancestor here, so the index's live candidates are the answers; with several, tree order decides.
 */
export class LiveTree {
  private readonly byLabel = new Map<string, LiveNode[]>();

  constructor(public root: LiveNode) {}

  /** Record the labels of a node and its subtree (a block about to join the tree). */
  index(n: LiveNode): void {
    for (const l of n.labels) this.note(l.name, n);
    for (const c of n.children) this.index(c);
  }

  /** merge_nodes: fold `add` (a block written later) into `into`. */
  mergeNodes(into: LiveNode, add: LiveNode): LiveNode {
    into.deleted = false;
    for (const l of add.labels) this.addLabel(into, l.name);
    for (const p of add.properties) {
      if (p.deleted) {
        const victim = into.properties.find((q) => q.name === p.name);
        if (victim) deleteProperty(victim);
        continue;
      }
      const old = into.properties.find((q) => q.name === p.name);
      if (old) {
        for (const l of p.labels) addLabel(old.labels, l.name);
        old.value = p.value;
        old.markers = p.markers;
        old.deleted = false;
        old.pos = p.pos;
      } else into.properties.push(p);
    }
    for (const c of add.children) {
      if (c.deleted) {
        const victim = into.children.find((d) => d.name === c.name);
        if (victim) deleteNode(victim);
        continue;
      }
      const old = into.children.find((d) => d.name === c.name);
      if (old) this.mergeNodes(old, c);
      else {
        into.children.push(c);
        this.index(c);
      }
    }
    if (add.pos) {
      if (into.pos) into.alsoAt.push(add.pos, ...add.alsoAt);
      else into.pos = add.pos;
    }
    return into;
  }

  addLabel(n: LiveNode, label: string): void {
    addLabel(n.labels, label);
    this.note(label, n);
  }

  private note(label: string, n: LiveNode): void {
    const list = this.byLabel.get(label);
    if (!list) this.byLabel.set(label, [n]);
    else if (!list.includes(n)) list.push(n);
  }

  byRef(ref: string): LiveNode | undefined {
    if (ref === '/') return this.root;
    if (ref.startsWith('/')) return nodeByPath(this.root, ref);
    const live = (this.byLabel.get(ref) ?? []).filter((n) => !n.deleted && n.labels.some((l) => l.name === ref && !l.deleted));
    if (live.length <= 1) return live[0];
    return firstWithLabel(this.root, ref);
  }
}

function firstWithLabel(n: LiveNode, label: string): LiveNode | undefined {
  if (n.labels.some((l) => l.name === label && !l.deleted)) return n;
  for (const c of n.children) {
    if (c.deleted) continue;
    const found = firstWithLabel(c, label);
    if (found) return found;
  }
  return undefined;
}

/** guess_boot_cpuid: the `reg` of the first child of /cpus (deleted or not, as dtc takes it), when one cell long. */
export function guessBootCpuid(root: LiveNode): number {
  const cpus = nodeByPath(root, '/cpus');
  const first = cpus?.children[0];
  const reg = first?.properties.find((p) => p.name === 'reg' && !p.deleted);
  if (!reg || reg.value.length !== 4) return 0;
  const v = reg.value;
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

function labelNames(labels: LiveLabel[]): string[] {
  return labels.filter((l) => !l.deleted).map((l) => l.name);
}

function toNode(n: LiveNode): DtNode {
  const properties: DtProperty[] = [];
  for (const p of n.properties) {
    if (p.deleted) continue;
    properties.push({ name: p.name, value: p.value, markers: p.markers, labels: labelNames(p.labels), ...(p.pos ? { pos: p.pos } : {}) });
  }
  const children: DtNode[] = [];
  for (const c of n.children) if (!c.deleted) children.push(toNode(c));
  const out: DtNode = { name: n.name ?? '', properties, children, labels: labelNames(n.labels), phandle: 0 };
  if (n.omitIfNoRef) out.omitIfNoRef = true;
  if (n.pos) out.pos = n.pos;
  if (n.alsoAt.length) out.alsoAt = n.alsoAt;
  return out;
}

/** The finished tree, deleted parts dropped. A deleted root leaves an empty tree with no root node (`root.deleted`). */
export function toDeviceTree(root: LiveNode, plugin: boolean, reservations: LiveReservation[], bootCpuidPhys: number): DeviceTree {
  const tree: DeviceTree = {
    plugin,
    reservations: reservations.map((r) => ({ address: r.address, size: r.size, labels: labelNames(r.labels) })),
    root: toNode(root),
    bootCpuidPhys,
  };
  if (root.deleted) tree.rootDeleted = true;
  return tree;
}
