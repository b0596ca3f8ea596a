/**
 * FIT images (Flattened Image Tree) read as U-Boot 2023.01 reads them: the device-tree blob up to its totalsize (the
 * tree only: external data after it is reached through data-offset/data-position), the checks U-Boot's
 * fit_check_format makes before it calls a file a FIT, and the lookups its listing and loaders use (libfdt's node
 * name matching, U-Boot's address and data rules). Pure: reads through a ByteSource.
 */
import { readU32BE } from '../../bytes/endian.js';
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { FDT_HEADER_SIZE, FDT_MAGIC, decodeFdt, decodeFdtHeader, fdtHeaderProblem, type FdtHeader, type FdtNode } from '../fdt/fdt.js';

/** A FIT tree larger than this is refused before it is read (whole-tree reads hold it in memory). */
export const FIT_TREE_LIMIT = 1 << 30;

/** Why a blob is not accepted as a FIT, with the check of fit_check_format that refused it. */
export type FitRefusal = 'header' | 'structure' | 'no-description' | 'no-timestamp' | 'no-images' | 'truncated';

export interface FitReport {
  header: FdtHeader;
  root: FdtNode;
  /** Size of the file the FIT was read from (external data lies past totalsize). */
  fileSize: number;
  /** A node name with '@' (U-Boot then accepts the file without its other checks, with a warning). */
  unitAddress: boolean;
  /** Why U-Boot's tools would not take it as a FIT (undefined: accepted). */
  refusal?: { check: FitRefusal; problem: UimgError };
}

const enc = new TextEncoder();

/**
 * Read the blob and judge it as fit_verify_header does: a sane header, libfdt's full structure check against
 * totalsize, then (unless a node name has '@') a root description and timestamp and an /images node.
 */
export async function readFit(src: ByteSource, opts: { limit?: number } = {}): Promise<FitReport> {
  const limit = opts.limit ?? FIT_TREE_LIMIT;
  const head = await readClamped(src, 0, FDT_HEADER_SIZE);
  const empty: FdtNode = { name: '', properties: [], children: [] };
  const refuse = (report: Omit<FitReport, 'refusal'>, check: FitRefusal, problem: UimgError): FitReport => ({ ...report, refusal: { check, problem } });
  if (head.length < FDT_HEADER_SIZE) {
    const header = decodeFdtHeader(new Uint8Array(FDT_HEADER_SIZE));
    return refuse({ header, root: empty, fileSize: src.size, unitAddress: false }, 'truncated',
      new UimgError('TRUNCATED', `${src.size} bytes is shorter than a device-tree header (40)`, { field: 'header', expected: FDT_HEADER_SIZE, actual: src.size },
        'the file is cut short or is not a FIT'));
  }
  const header = decodeFdtHeader(head);
  const base = { header, root: empty, fileSize: src.size, unitAddress: false };
  const bad = header.magic !== FDT_MAGIC ? { message: `bad magic 0x${header.magic.toString(16).padStart(8, '0')}`, offset: 0 } : fdtHeaderProblem(header);
  if (bad) {
    return refuse(base, 'header', new UimgError(header.magic !== FDT_MAGIC ? 'BAD_MAGIC' : 'MALFORMED', `not a device tree: ${bad.message}`,
      { field: 'header', offset: bad.offset, ...(header.magic !== FDT_MAGIC ? { expected: '0xd00dfeed' } : {}) }, 'a FIT is a device-tree blob (magic d0 0d fe ed)'));
  }
  if (header.totalSize > src.size) {
    return refuse(base, 'truncated', new UimgError('TRUNCATED', `totalsize says ${header.totalSize} bytes, the file has ${src.size}`,
      { field: 'totalsize', offset: 4, expected: `<= ${src.size}`, actual: header.totalSize }, 'the FIT was cut short'));
  }
  if (header.totalSize > limit) {
    return refuse(base, 'header', new UimgError('SIZE_LIMIT', `totalsize ${header.totalSize} is more than the ${limit}-byte limit for a FIT tree`,
      { field: 'totalsize', offset: 4, expected: `<= ${limit}`, actual: header.totalSize }, 'keep large images as external data (mkimage -E)'));
  }
  const parsed = decodeFdt(await readClamped(src, 0, header.totalSize));
  const report: FitReport = { header, root: parsed.root, fileSize: src.size, unitAddress: false };
  if (parsed.problem || parsed.root.name !== '') {
    const problem = parsed.problem ?? { message: 'the root node has a name', offset: header.offDtStruct + 4 };
    return refuse(report, 'structure', new UimgError('MALFORMED', `not a sound device tree: ${problem.message}`, { field: 'structure', offset: problem.offset },
        'dtc -I dtb -O dts shows where the blob breaks'));
  }
  report.unitAddress = hasUnitAddress(parsed.root);
  if (report.unitAddress) return report;
  if (!prop(parsed.root, 'description')) return refuse(report, 'no-description', missing('description', 'a FIT root has a description'));
  if (!prop(parsed.root, 'timestamp')) return refuse(report, 'no-timestamp', missing('timestamp', 'a FIT root has a timestamp (mkimage -t adds one)'));
  if (!subnode(parsed.root, 'images')) {
    return refuse(report, 'no-images', new UimgError('MALFORMED', 'there is no /images node', { field: '/images' }, 'a FIT keeps its images under /images'));
  }
  return report;
}

const missing = (name: string, hint: string) =>
  new UimgError('MALFORMED', `the root node has no ${name} property`, { field: `/${name}` }, hint);

function hasUnitAddress(node: FdtNode): boolean {
  return node.name.includes('@') || node.children.some(hasUnitAddress);
}

/** A property's raw value, or undefined (exact name, as fdt_getprop). */
export function prop(node: FdtNode | undefined, name: string): Uint8Array | undefined {
  return node?.properties.find((p) => p.name === name)?.value;
}

/** A child as libfdt finds it: the first whose name is `name`, or `name@unit` when `name` has no unit address. */
export function subnode(node: FdtNode | undefined, name: string): FdtNode | undefined {
  return node?.children.find((c) => c.name === name || (!name.includes('@') && c.name.startsWith(name + '@')));
}

export const fitImages = (fit: FitReport): FdtNode[] => subnode(fit.root, 'images')?.children ?? [];
export const fitConfigurations = (fit: FitReport): FdtNode | undefined => subnode(fit.root, 'configurations');

/** A value as printf("%s") prints it: the bytes up to the first NUL (or the end of the value). */
export function cString(value: Uint8Array): Uint8Array {
  const nul = value.indexOf(0);
  return nul < 0 ? value : value.subarray(0, nul);
}

export function text(value: Uint8Array | undefined): string | undefined {
  return value && new TextDecoder().decode(cString(value));
}

/** The strings of a string list (fdt_stringlist_get: each up to its NUL; a last string without NUL is not counted). */
export function stringList(value: Uint8Array | undefined): string[] {
  const out: string[] = [];
  if (!value) return out;
  for (let at = 0; at < value.length;) {
    const nul = value.indexOf(0, at);
    if (nul < 0) break;
    out.push(new TextDecoder().decode(value.subarray(at, nul)));
    at = nul + 1;
  }
  return out;
}

export const asciiBytes = (s: string): Uint8Array => enc.encode(s);

/**
 * `load`/`entry` as fit_image_get_address reads them: every cell shifted into 64 bits; more than 8 bytes with a
 * non-zero high word is refused ("Unsupported ... address size").
 */
export function fitAddress(node: FdtNode, name: 'load' | 'entry'): { value?: bigint; unsupported?: boolean } {
  const v = prop(node, name);
  if (!v) return {};
  let acc = 0n;
  for (let i = 0; i + 4 <= v.length; i += 4) acc = ((acc << 32n) | BigInt(readU32BE(v, i))) & 0xffffffffffffffffn;
  if (v.length > 8 && acc >> 32n !== 0n) return { unsupported: true };
  return { value: acc };
}

/** A u32 property as fdt32_to_cpu reads it (a shorter value reads as zero-padded). */
export function u32Prop(node: FdtNode, name: string): number | undefined {
  const v = prop(node, name);
  if (!v) return undefined;
  const b = new Uint8Array(4);
  b.set(v.subarray(0, 4));
  return readU32BE(b, 0);
}

/** The root (or a signature's) timestamp, when it is exactly 4 bytes (fit_get_timestamp). */
export function fitTimestamp(node: FdtNode): number | undefined {
  const v = prop(node, 'timestamp');
  return v?.length === 4 ? readU32BE(v, 0) : undefined;
}

export type FitData =
  | { kind: 'inline'; bytes: Uint8Array }
  | { kind: 'external'; offset: number; size: number; property: 'data-position' | 'data-offset' };

/**
 * Where an image's data is (fit_image_get_data_and_size): data-position (absolute), else data-offset (after the
 * tree, 4-aligned), both with data-size; else the data property. Sizes are U-Boot's signed 32-bit ints.
 */
export function fitImageData(fit: FitReport, image: FdtNode): FitData | undefined {
  const position = u32Prop(image, 'data-position');
  const offset = u32Prop(image, 'data-offset');
  if (position !== undefined || offset !== undefined) {
    const size = u32Prop(image, 'data-size');
    if (size === undefined) return undefined;
    const at = position !== undefined ? position | 0 : (offset! | 0) + ((fit.header.totalSize + 3) & ~3);
    return { kind: 'external', offset: at, size: size | 0, property: position !== undefined ? 'data-position' : 'data-offset' };
  }
  const bytes = prop(image, 'data');
  return bytes ? { kind: 'inline', bytes } : undefined;
}

/** The external range inside the file, or a typed error naming the image when it lies outside. */
export function externalRange(fit: FitReport, image: FdtNode, data: Extract<FitData, { kind: 'external' }>): { offset: number; length: number } {
  if (data.offset < 0 || data.size < 0 || data.offset + data.size > fit.fileSize) {
    throw new UimgError('TRUNCATED', `image '${image.name}': ${data.property} data (${data.size} bytes at ${data.offset}) lies outside the ${fit.fileSize}-byte file`,
      { field: `/images/${image.name}/${data.property}`, offset: data.offset, expected: `<= ${fit.fileSize}`, actual: data.offset + data.size },
      'the external data was cut off, or the FIT was copied without it');
  }
  return { offset: data.offset, length: data.size };
}
