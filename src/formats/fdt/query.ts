/**
 * Finding a node by path in an indexed blob as libfdt's fdt_path_offset finds it: components match with or without
 * a unit address, and a path that does not start with '/' starts with an alias from /aliases. Values are read on
 * demand, so a lookup in a FIT with a large inline image reads only the alias it needs.
 */
import type { ByteSource } from '../../bytes/source.js';
import { FdtError } from './error.js';
import { fdtNameMatches, findFdtNode, findFdtProperty, readFdtValue, type FdtIndex, type FdtNodeEntry } from './reader.js';

/** The node at `path`; FdtError NOTFOUND when a component is missing, BADPATH when the alias is unknown. */
export async function lookupFdtPath(src: ByteSource, index: FdtIndex, path: string): Promise<FdtNodeEntry> {
  let node: FdtNodeEntry | undefined = index.root;
  let rest = path;
  if (!path.startsWith('/')) {
    const cut = path.indexOf('/');
    const alias = cut < 0 ? path : path.slice(0, cut);
    const prop = findFdtProperty(findFdtNode(index.root, '/aliases'), alias);
    const value = prop && (await readFdtValue(src, prop));
    const target = value && new TextDecoder().decode(value.indexOf(0) < 0 ? value : value.subarray(0, value.indexOf(0)));
    if (!target || !target.startsWith('/')) {
      throw new FdtError('BADPATH', `${JSON.stringify(path)}: no alias ${JSON.stringify(alias)} in /aliases`, { field: 'path', actual: path },
        'a path starts with / (or with an alias that /aliases defines)');
    }
    node = findFdtNode(index.root, target);
    rest = cut < 0 ? '' : path.slice(cut);
  }
  for (const part of rest.split('/').filter(Boolean)) {
    node = node?.children.find((c) => fdtNameMatches(c.name, part));
  }
  if (!node) throw new FdtError('NOTFOUND', `there is no node ${JSON.stringify(path)}`, { field: 'path', actual: path }, 'uimg fdt list FILE / shows the nodes');
  return node;
}
