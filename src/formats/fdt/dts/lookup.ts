/**
 * Finding things in a DeviceTree the way dtc's livetree does: nodes by path, label, reference or phandle, properties
 * by name, and a node's base name and unit address. The checks, the reference resolver and the decompiler share
 * these, so a path or label means the same everywhere.
 */
import { readU32BE } from '../../../bytes/endian.js';
import type { DtNode, DtProperty } from '../tree.js';

export function getProperty(node: DtNode, name: string): DtProperty | undefined {
  return node.properties.find((p) => p.name === name);
}

export function getSubnode(node: DtNode, name: string): DtNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** The name before the first '@' (`memory` of `memory@80000000`). */
export function baseName(node: DtNode): string {
  const at = node.name.indexOf('@');
  return at < 0 ? node.name : node.name.slice(0, at);
}

/** The text after the first '@', or '' when the name has none. */
export function unitName(node: DtNode): string {
  const at = node.name.indexOf('@');
  return at < 0 ? '' : node.name.slice(at + 1);
}

/** A child's full path from its parent's (`/` + name under the root). */
export function joinPath(parentPath: string, name: string): string {
  return parentPath.endsWith('/') ? parentPath + name : `${parentPath}/${name}`;
}

/**
 * A node by path from `tree` (leading and doubled slashes skipped, every component matched whole, an empty path is
 * `tree` itself), as dtc's get_node_by_path.
 */
export function getNodeByPath(tree: DtNode, path: string): DtNode | undefined {
  let node = tree;
  let rest = path;
  for (;;) {
    if (rest === '') return node;
    rest = rest.replace(/^\/+/, '');
    const slash = rest.indexOf('/');
    const part = slash < 0 ? rest : rest.slice(0, slash);
    const child = node.children.find((c) => c.name === part);
    if (!child) return undefined;
    if (slash < 0) return child;
    node = child;
    rest = rest.slice(slash + 1);
  }
}

/** The first node, depth first, that carries `label`. */
export function getNodeByLabel(tree: DtNode, label: string): DtNode | undefined {
  if (tree.labels.includes(label)) return tree;
  for (const c of tree.children) {
    const n = getNodeByLabel(c, label);
    if (n) return n;
  }
  return undefined;
}

/** A reference as written after `&`: `/` is the root, a path starts with `/`, anything else is a label. */
export function getNodeByRef(tree: DtNode, ref: string): DtNode | undefined {
  if (ref === '/') return tree;
  return ref.startsWith('/') ? getNodeByPath(tree, ref) : getNodeByLabel(tree, ref);
}

/** The first node, depth first, whose assigned phandle is `phandle` (0 and 0xffffffff match nothing). */
export function getNodeByPhandle(tree: DtNode, phandle: number): DtNode | undefined {
  if (phandle === 0 || phandle === 0xffffffff) return undefined;
  if (tree.phandle === phandle) return tree;
  for (const c of tree.children) {
    const n = getNodeByPhandle(c, phandle);
    if (n) return n;
  }
  return undefined;
}

/** Cell `n` of a value (big-endian u32); 0 where the value is too short. */
export function cellAt(value: Uint8Array, n: number): number {
  return value.length >= 4 * n + 4 ? readU32BE(value, 4 * n) : 0;
}

/** A value read as C reads a char*: the bytes before the first NUL (all of them when there is none). */
export function cString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? value : value.subarray(0, nul));
}
