/**
 * External data (`mkimage -E`, fit.md §3.5) and its import back (the first step of every mkimage FIT run): image
 * data moves between the `data` property and the bytes after the tree, with libfdt's edits and U-Boot's alignment
 * (-B) and absolute placement (-p). The data is referenced, never copied into memory.
 */
import { UimgError } from '../../errors.js';
import { readU32BE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { FdtBlob, nodeAt, u32 } from './blob.js';
import { Rope } from './rope.js';

const alignUp = (n: number, a: number) => Math.floor((n + a - 1) / a) * a;

export interface ExternalOptions {
  /** -B (default 4). U-Boot rounds with a mask, so a power of two is meant; others give U-Boot's odd sizes too. */
  align?: number;
  /** -p: absolute file offset of the data (data-position instead of data-offset). */
  position?: number;
}

/** `-E`: the file bytes (tree, then data), or an overlap error (U-Boot's text) when -p lies inside the tree. */
export function extractData(blob: FdtBlob, opts: ExternalOptions = {}): Rope | { overlap: string } {
  const a = opts.align || 4;
  const side: Rope[] = [];
  let ptr = 0;
  const images = nodeAt(blob.tree(), '/images');
  if (!images) throw new UimgError('MALFORMED', 'the FIT has no /images node', { field: '/images' });
  const count = images.children.length;
  for (let i = 0; i < count; i++) {
    const node = () => nodeAt(blob.tree(), '/images')!.children[i]!;
    const data = node().props.find((p) => p.name === 'data');
    if (!data) continue;
    const len = data.length;
    side.push(blob.valueRope(data), Rope.zeros(alignUp(len, a) - len));
    blob.delProp(node(), 'data');
    if (opts.position && opts.position > 0) blob.setProp(node(), 'data-position', u32(opts.position + ptr));
    else blob.setProp(node(), 'data-offset', u32(ptr));
    blob.setProp(node(), 'data-size', u32(len));
    ptr += alignUp(len, a);
  }
  blob.pack();
  // ALIGN() with a mask, as U-Boot: (x + a - 1) & ~(a - 1).
  const newSize = ((blob.h.totalSize + a - 1) & ~(a - 1)) >>> 0;
  blob.h.totalSize = newSize;
  const tree = blob.image();
  let at = newSize;
  if (opts.position && opts.position > 0) {
    if (opts.position < newSize) return { overlap: `External offset ${opts.position.toString(16)} overlaps FIT length ${newSize.toString(16)}` };
    at = opts.position;
  }
  return Rope.of(tree, Rope.zeros(at - newSize), ...side);
}

/**
 * fit_import_data + fdt_pack: put external data (data-offset + data-size, read from after the tree) back into
 * `data` properties (inserted first; the offset and size properties stay, as in U-Boot 2023.01), then pack.
 * Every offset read from the tree is bounded by the file. False when there is no /images node (mkimage then fails
 * without a message).
 */
export function importData(blob: FdtBlob, file: ByteSource): boolean {
  const dataBase = alignUp(blob.h.totalSize, 4);
  blob.openInto(file.size + 16384);
  const images = nodeAt(blob.tree(), '/images');
  if (!images) return false;
  const count = images.children.length;
  for (let i = 0; i < count; i++) {
    const node = nodeAt(blob.tree(), '/images')!.children[i]!;
    const int = (name: string) => {
      const p = node.props.find((q) => q.name === name);
      // fdtdec_get_int: a property shorter than 4 bytes reads as the default.
      return p && p.length >= 4 ? readU32BE(blob.value(p), 0) | 0 : -1;
    };
    const off = int('data-offset');
    const len = int('data-size');
    if (off === -1 || len === -1) continue;
    if (off < 0 || len < 0 || dataBase + off + len > file.size) {
      throw new UimgError('TRUNCATED', `image ${node.name}: external data at ${dataBase + off} (${len} bytes) lies past the end of the file (${file.size} bytes)`, {
        field: `/images/${node.name}/data-offset`, expected: `<= ${file.size}`, actual: dataBase + off + len,
      }, 'the FIT file is cut short or its data-offset/data-size are wrong');
    }
    blob.setProp(node, 'data', Rope.of({ kind: 'source', source: file, offset: dataBase + off, length: len }));
  }
  blob.pack();
  return true;
}
