/**
 * The full structural check libfdt's fdt_check_full makes (what mkimage -l and dumpimage require of a FIT): a sane
 * header, the blob no longer than the buffer, a terminated reservation map, and a token stream with exactly one
 * root node (named ''), balanced nodes, every property's value inside the structure block and its name inside the
 * strings block, and END last.
 */
import type { ByteSource } from '../../bytes/source.js';
import { fdtError } from './error.js';
import { FDT_HEADER_SIZE, decodeFdtHeader, checkFdtHeader } from './header.js';
import { walkFdt, walkFdtSource, type FdtVisitor } from './reader.js';

const nothing: FdtVisitor = { beginNode() {}, endNode() {}, property() {} };

function checkSize(header: Uint8Array, size: number): void {
  if (size < FDT_HEADER_SIZE) {
    throw fdtError('TRUNCATED', `${size} bytes: shorter than the 40-byte FDT header`, 0, { field: 'header', expected: FDT_HEADER_SIZE, actual: size });
  }
  const h = decodeFdtHeader(header);
  const bad = checkFdtHeader(h);
  if (bad) throw bad;
  if (size < h.totalSize) {
    throw fdtError('TRUNCATED', `totalsize says ${h.totalSize} bytes, there are ${size}`, 4, { field: 'totalSize', expected: `<= ${size}`, actual: h.totalSize }, 'the blob is cut short');
  }
}

/** fdt_check_full over a blob in memory whose buffer is `bufsize` bytes (default: the array's length). Throws an FdtError. */
export function checkFdtFull(blob: Uint8Array, bufsize = blob.length): void {
  checkSize(blob, Math.min(bufsize, blob.length));
  walkFdt(blob, nothing);
}

/** fdt_check_full through a ByteSource: the same checks, values skipped unread. */
export async function checkFdtFullSource(src: ByteSource): Promise<void> {
  checkSize(await src.read(0, FDT_HEADER_SIZE), src.size);
  await walkFdtSource(src, nothing);
}
