/**
 * The DTS writer: a DeviceTree as dtc 1.6.1 prints it with `-O dts`, character for character. For a tree read from a
 * blob (no type markers) each value is shown as dtc guesses it: a string list when every byte is printable or NUL,
 * ends in NUL and NULs are not the majority; else cells when the length is a multiple of 4; else bytes. For a tree
 * parsed from source the type markers say how each run was written (`<...>`, `/bits/ N <...>`, `[...]`, strings)
 * and labels are kept, as `dtc -I dts -O dts` keeps them; references appear as the values they resolved to, and a
 * `none` marker (`/incbin/` data) continues the run before it (or is guessed, when nothing else is typed).
 */
import { UimgError } from '../../../errors.js';
import { emptyNode, type DeviceTree, type DtNode, type DtProperty, type Marker, type MarkerType } from '../tree.js';

type DataType = 'u8' | 'u16' | 'u32' | 'u64' | 'string';

const DELIM_START: Record<DataType, string> = { u8: '[', u16: '/bits/ 16 <', u32: '<', u64: '/bits/ 64 <', string: '' };
const DELIM_END: Record<DataType, string> = { u8: ']', u16: '>', u32: '>', u64: '>', string: '' };
const WIDTH: Record<DataType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, string: 1 };

function isDataType(t: MarkerType): t is DataType {
  return t === 'u8' || t === 'u16' || t === 'u32' || t === 'u64' || t === 'string';
}

/** C's isprint in the C locale. */
function isPrint(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

/** dtc's isstring: printable, NUL, or one of the escapes \a \b \t \n \v \f \r. */
function isStringByte(c: number): boolean {
  return isPrint(c) || c === 0 || (c >= 7 && c <= 13);
}

const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\', 0x22: '\\"', 0: '\\0' };

function badValue(prop: DtProperty, message: string): UimgError {
  return new UimgError('BAD_VALUE', `property ${prop.name}: ${message}`, { field: prop.name }, 'dtc aborts on such a value; the tree was built wrongly');
}

/** One string run (which ends in its NUL) as dtc writes it: quoted, escaped, inner NULs as \0. */
function writeString(prop: DtProperty, v: Uint8Array): string {
  if (v.length === 0) return '';
  if (v[v.length - 1] !== 0) throw badValue(prop, 'a string run does not end in NUL');
  let s = '"';
  for (let i = 0; i < v.length - 1; i++) {
    const c = v[i]!;
    const esc = ESCAPES[c];
    if (esc !== undefined) s += esc;
    else if (isPrint(c)) s += String.fromCharCode(c);
    // dtc passes a signed char to %02x: bytes above 0x7f print sign-extended.
    else s += '\\x' + (c >= 0x80 ? (0xffffff00 | c) >>> 0 : c).toString(16).padStart(2, '0');
  }
  return s + '"';
}

function writeInts(prop: DtProperty, v: Uint8Array, width: number): string {
  if (v.length % width !== 0) throw badValue(prop, `a run of ${v.length} bytes is not a whole number of ${width}-byte elements`);
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const parts: string[] = [];
  for (let i = 0; i < v.length; i += width) {
    switch (width) {
      case 1: parts.push(v[i]!.toString(16).padStart(2, '0')); break;
      case 2: parts.push('0x' + view.getUint16(i).toString(16).padStart(2, '0')); break;
      case 4: parts.push('0x' + view.getUint32(i).toString(16).padStart(2, '0')); break;
      default: parts.push('0x' + view.getBigUint64(i).toString(16).padStart(2, '0'));
    }
  }
  return parts.join(' ');
}

/** dtc's guess for a value without type markers (labels inside the value count against strings and cells). */
export function guessValueType(prop: DtProperty): DataType {
  const p = prop.value;
  const len = p.length;
  let notString = 0;
  let nul = 0;
  for (const c of p) {
    if (!isStringByte(c)) notString++;
    if (c === 0) nul++;
  }
  let notStringLabel = 0;
  let notCellLabel = 0;
  for (const m of prop.markers) {
    if (m.type !== 'label') continue;
    if (m.offset > 0 && p[m.offset - 1] !== 0) notStringLabel++;
    if (m.offset % 4 !== 0) notCellLabel++;
  }
  if (p[len - 1] === 0 && notString === 0 && nul <= len - nul && notStringLabel === 0) return 'string';
  if (len % 4 === 0 && notCellLabel === 0) return 'u32';
  return 'u8';
}

/** The value part after the name: `;` for an empty property, else ` = ...;`, walking the markers as dtc does. */
function writeValue(prop: DtProperty): string {
  const len = prop.value.length;
  if (len === 0) return ';';
  let markers: readonly Marker[] = prop.markers;
  if (!markers.some((m) => isDataType(m.type))) markers = [{ offset: 0, type: guessValueType(prop) }, ...markers];
  // The length of the run a type marker starts: up to the next type marker, or (when none follows, or it sits at
  // the same offset) to the end of the value.
  const dataLength = (i: number): number => {
    const next = markers.slice(i + 1).find((m) => isDataType(m.type));
    const n = next ? next.offset - markers[i]!.offset : 0;
    return n || len - markers[i]!.offset;
  };
  let out = ' =';
  let emit: DataType | undefined;
  for (let i = 0; i < markers.length; i++) {
    const m = markers[i]!;
    const end = i + 1 < markers.length ? markers[i + 1]!.offset : len;
    const chunk = prop.value.subarray(m.offset, end);
    if (isDataType(m.type)) {
      emit = m.type;
      out += ' ' + DELIM_START[emit];
    } else if (m.type === 'label') out += ` ${m.ref ?? ''}:`;
    else if (m.offset) out += ' ';
    if (emit === undefined) {
      if (chunk.length !== 0) throw badValue(prop, `bytes at offset ${m.offset} have no type`);
      continue;
    }
    out += emit === 'string' ? writeString(prop, chunk) : writeInts(prop, chunk, WIDTH[emit]);
    if (chunk.length === dataLength(i)) {
      out += DELIM_END[emit] + (m.offset + chunk.length === len ? '' : ',');
      emit = undefined;
    }
  }
  return out + ';';
}

function labelPrefix(labels: readonly string[]): string {
  return labels.map((l) => `${l}: `).join('');
}

function writeNode(node: DtNode, level: number, out: string[]): void {
  const tabs = '\t'.repeat(level);
  out.push(`${tabs}${labelPrefix(node.labels)}${node.name ? node.name : '/'} {\n`);
  for (const prop of node.properties) out.push(`${tabs}\t${labelPrefix(prop.labels)}${prop.name}${writeValue(prop)}\n`);
  for (const child of node.children) {
    out.push('\n');
    writeNode(child, level + 1, out);
  }
  out.push(`${tabs}};\n`);
}

function hex64(n: bigint): string {
  return '0x' + BigInt.asUintN(64, n).toString(16).padStart(16, '0');
}

export interface EmitDtsOptions {}

/**
 * A device tree as DTS text, identical to what dtc 1.6.1 writes with `-O dts` for the same tree: `/dts-v1/;`,
 * the `/memreserve/` lines, then the nodes (tabs, a blank line before each subnode, labels as `l: `). Give it the
 * tree after checks and fixups ran (dtc prints references as their resolved values). A value whose markers do not
 * fit it (a string run without its NUL, a cell run of an odd length: what dtc would abort on) throws BAD_VALUE.
 */
export function emitDts(tree: DeviceTree, _options: EmitDtsOptions = {}): string {
  const out = ['/dts-v1/;\n\n'];
  for (const r of tree.reservations) out.push(`${labelPrefix(r.labels)}/memreserve/\t${hex64(r.address)} ${hex64(r.size)};\n`);
  // A deleted root loses its labels, properties and subnodes, but dtc still writes it.
  writeNode(tree.rootDeleted ? emptyNode('') : tree.root, 0, out);
  return out.join('');
}
