/**
 * A blob as the shared in-memory model (tree.ts's DeviceTree), for `dtc -I dtb` and the decompiler: nodes and
 * properties in file order, values copied, no labels, markers or positions (a blob has none); a node's phandle is
 * read from its `phandle` (or `linux,phandle`) property when that holds one cell, as libfdt's fdt_get_phandle reads it.
 */
import { readU32BE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { fdtNodes, parseFdt, readFdt, readFdtValue, fdtValue, type FdtIndex, type FdtNodeEntry, type FdtPropertyEntry } from './reader.js';
import { emptyNode, type DeviceTree, type DtNode } from './tree.js';

function phandleOf(node: DtNode): number {
  for (const name of ['phandle', 'linux,phandle']) {
    const p = node.properties.find((q) => q.name === name);
    if (p && p.value.length === 4) return readU32BE(p.value, 0);
  }
  return 0;
}

function build(index: FdtIndex, value: (p: FdtPropertyEntry) => Uint8Array): DeviceTree {
  const convert = (e: FdtNodeEntry): DtNode => {
    const node = emptyNode(e.name);
    for (const p of e.properties) node.properties.push({ name: p.name, value: value(p).slice(), markers: [], labels: [] });
    for (const c of e.children) node.children.push(convert(c));
    node.phandle = phandleOf(node);
    return node;
  };
  return {
    plugin: false,
    reservations: index.reservations.map((r) => ({ ...r, labels: [] })),
    root: convert(index.root),
    bootCpuidPhys: index.header.bootCpuidPhys,
  };
}

/** The tree of a blob in memory; throws an FdtError where the blob is broken (fdt_check_full's rules). */
export function deviceTreeFromBlob(blob: Uint8Array): DeviceTree {
  return build(parseFdt(blob), (p) => fdtValue(blob, p));
}

/** The tree of a blob read through a ByteSource (every value is read: this is for DTBs, not for large FITs). */
export async function readDeviceTree(src: ByteSource): Promise<DeviceTree> {
  const index = await readFdt(src);
  const values = new Map<FdtPropertyEntry, Uint8Array>();
  for (const node of fdtNodes(index.root)) for (const p of node.properties) values.set(p, await readFdtValue(src, p));
  return build(index, (p) => values.get(p)!);
}
