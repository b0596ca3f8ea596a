/**
 * fdtput's edits (dtc 1.6.1), step for step on the libfdt editor, so the bytes equal what fdtput writes: look the
 * node up, edit; when libfdt says NOSPACE, grow the buffer by fdtput's own estimate (fdt_open_into in place) and
 * try again; finally fdt_pack. An edit that fails changes nothing: the error is thrown and no blob comes out.
 */
import { FdtEditor, type NodeOffset } from './editor.js';
import { FdtError, isFdtError } from './error.js';
import { alignTag } from './header.js';

export type FdtPutOp =
  /** Set a property (fdtput NODE PROP VALUE...); `autoPath` creates missing nodes first (-p). */
  | { kind: 'set'; path: string; prop: string; value: Uint8Array; autoPath?: boolean }
  /** Delete properties of one node (fdtput -d). */
  | { kind: 'delete'; path: string; props: readonly string[] }
  /** Create nodes (fdtput -c; with `autoPath`, every missing node on the way, and existing ones are fine). */
  | { kind: 'create'; paths: readonly string[]; autoPath?: boolean }
  /** Delete nodes and everything under them (fdtput -r). */
  | { kind: 'remove'; paths: readonly string[] };

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** The edited blob, packed; throws the FdtError (NOTFOUND, EXISTS, BADPATH, ...) where fdtput reports one. */
export function fdtPut(blob: Uint8Array, op: FdtPutOp): Uint8Array {
  const ed = FdtEditor.wrap(blob.slice());
  const grow = (delta: number) => ed.openInto(ed.header.totalSize + delta);
  const growForNode = (name: string) => grow(8 + alignTag(utf8(name) + 1));
  const createPaths = (path: string) => {
    let node: NodeOffset = 0;
    for (const part of path.split('/').filter(Boolean)) {
      try {
        node = ed.subnodeOffset(node, part);
      } catch (e) {
        if (!isFdtError(e, 'NOTFOUND')) throw e;
        growForNode(part);
        node = ed.addSubnode(node, part);
      }
    }
  };
  switch (op.kind) {
    case 'set': {
      if (op.autoPath) createPaths(op.path);
      const node = ed.pathOffset(op.path);
      try {
        ed.setProp(node, op.prop, op.value);
      } catch (e) {
        if (!isFdtError(e, 'NOSPACE')) throw e;
        const old = ed.getProp(node, op.prop);
        const oldLen = old?.length ?? 0;
        grow((old ? 0 : 12 + utf8(op.prop) + 1) + (op.value.length > oldLen ? alignTag(op.value.length) - alignTag(oldLen) : 0));
        ed.setProp(node, op.prop, op.value);
      }
      break;
    }
    case 'delete': {
      for (const p of op.props) ed.delProp(ed.pathOffset(op.path), p);
      break;
    }
    case 'create':
      for (const path of op.paths) {
        if (op.autoPath) {
          createPaths(path);
          continue;
        }
        const cut = path.lastIndexOf('/');
        if (cut < 0) throw new FdtError('BADPATH', `${JSON.stringify(path)} is not a path: it has no '/'`, { field: 'path', actual: path }, 'paths start at the root: /node');
        const name = path.slice(cut + 1);
        growForNode(name);
        ed.addSubnode(cut > 0 ? ed.pathOffset(path.slice(0, cut)) : 0, name);
      }
      break;
    case 'remove':
      for (const path of op.paths) ed.delNode(ed.pathOffset(path));
      break;
  }
  ed.pack();
  return ed.bytes.slice();
}
