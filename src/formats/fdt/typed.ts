/**
 * Property values as fdtget prints them and fdtput reads them (dtc 1.6.1's util.c): the `-t` type strings (`s`,
 * `i`, `u`, `x`, with `hh`/`b` for bytes, `h` for 2 bytes, `l` for 4), the guess when no type is given (a list of
 * printable strings, else 4-byte cells when the length allows, else bytes), and the encoding of arguments into a
 * value. Where fdtput writes garbage (a number that does not parse, one too large, a 2-byte element) this refuses
 * or writes the value as meant; see the README.
 */
import { concatBytes } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';

export type FdtDataType = 's' | 'i' | 'u' | 'x';

export interface FdtValueType {
  /** undefined: guess (fdtget) or decimal cells (fdtput). */
  type?: FdtDataType;
  /** Element size in bytes; undefined: 4, or the guess. */
  size?: 1 | 2 | 4;
}

/** utilfdt_decode_type: `[hh|b|h|l](s|i|u|x)`. */
export function parseFdtType(fmt: string): FdtValueType {
  const m = /^(hh|b|h|l|L)?([iuxs])$/.exec(fmt);
  if (!m) {
    throw new UimgError('BAD_VALUE', `type '${fmt}' is not one of fdtget's: expected s, i, u or x, optionally after hh (or b), h or l`,
      { field: 'type', expected: '[hh|b|h|l](s|i|u|x)', actual: fmt }, 'e.g. -t x for hex cells, -t bx for hex bytes, -t s for strings');
  }
  const type = m[2] as FdtDataType;
  if (type === 's') return { type };
  const size = m[1] === 'hh' || m[1] === 'b' ? 1 : m[1] === 'h' ? 2 : m[1] === 'l' ? 4 : undefined;
  return size ? { type, size } : { type };
}

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;

/** util_is_printable_string: NUL-terminated, every string non-empty and printable. */
export function isPrintableString(v: Uint8Array): boolean {
  if (v.length === 0 || v[v.length - 1] !== 0) return false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) {
      if (i === start) return false;
      start = i + 1;
    } else if (!isPrint(v[i]!)) return false;
  }
  return true;
}

function badValue(message: string, hint: string): UimgError {
  return new UimgError('BAD_VALUE', message, { field: 'value' }, hint);
}

/**
 * A value as fdtget prints it (without the newline): strings separated by spaces, or elements in the type's base
 * (`%d` when none is given). Bytes above 0x7f in strings are kept as latin1 characters, so the caller writes the
 * text back as latin1 bytes. An empty value prints nothing.
 */
export function formatFdtValue(v: Uint8Array, t: FdtValueType = {}): string {
  if (v.length === 0) return '';
  if (t.type === 's' || (t.type === undefined && isPrintableString(v))) {
    if (v[v.length - 1] !== 0) throw badValue('Unterminated string: the value does not end in NUL', 'read it with -t x or -t bx');
    const parts: string[] = [];
    for (let at = 0; at < v.length;) {
      let end = v.indexOf(0, at);
      if (end < 0) end = v.length;
      parts.push(String.fromCharCode(...v.subarray(at, end)));
      at = end + 1;
    }
    return parts.join(' ');
  }
  if (t.size !== undefined && v.length % t.size) {
    throw badValue(`Property length must be a multiple of selected data size: ${v.length} bytes is not a multiple of ${t.size}`, 'pick another size (hh, h or l)');
  }
  const size = t.size ?? (v.length % 4 === 0 ? 4 : 1);
  const out: string[] = [];
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < v.length; i += size) {
    const n = size === 4 ? view.getUint32(i) : size === 2 ? view.getUint16(i) : v[i]!;
    // printf gets a signed int: %d and %i show 4-byte cells from 0x80000000 up as negative.
    out.push(t.type === 'x' ? n.toString(16) : t.type === 'u' ? String(n) : String(size === 4 ? n | 0 : n));
  }
  return out.join(' ');
}

/** One number as sscanf reads it for the type: %d and %u decimal, %x hex (0x optional), %i C-style (0x, 0 octal). */
function parseNumber(arg: string, type: FdtDataType | undefined): number | undefined {
  const m = /^([+-]?)(.+)$/.exec(arg);
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  let n: number;
  if (type === 'x') {
    if (!/^(0[xX])?[0-9a-fA-F]+$/.test(digits)) return undefined;
    n = parseInt(digits.replace(/^0[xX]/, ''), 16);
  } else if (type === 'i' && /^0[xX][0-9a-fA-F]+$/.test(digits)) n = parseInt(digits.slice(2), 16);
  else if (type === 'i' && /^0[0-7]*$/.test(digits)) n = parseInt(digits, 8);
  else if (/^[0-9]+$/.test(digits)) n = parseInt(digits, 10);
  else return undefined;
  return sign === '-' ? -n : n;
}

/**
 * fdtput's value from its arguments: each a NUL-terminated string with `-t s`, else a number per argument stored
 * big-endian in the element size (4 by default). A number that does not parse, or does not fit its element, is
 * refused (fdtput would store whatever its sscanf left).
 */
export function encodeFdtValue(args: readonly string[], t: FdtValueType = {}): Uint8Array {
  const enc = new TextEncoder();
  if (t.type === 's') return concatBytes(args.map((a) => enc.encode(a + '\0')));
  const size = t.size ?? 4;
  const out = new Uint8Array(args.length * size);
  const view = new DataView(out.buffer);
  args.forEach((arg, i) => {
    const n = parseNumber(arg, t.type);
    const base = t.type === 'x' ? 'hexadecimal' : t.type === 'i' ? 'a C integer (0x hex, 0 octal)' : 'a decimal integer';
    if (n === undefined) throw badValue(`'${arg}' is not ${base}`, t.type ? `-t ${t.type} reads ${base}` : 'without -t, values are decimal cells: -t x reads hex, -t s strings');
    const max = 2 ** (8 * size);
    if (n >= max || n < -(max / 2)) throw badValue(`${arg} does not fit in ${size} byte${size > 1 ? 's' : ''}`, 'pick a larger size (h or l), or a smaller value');
    const u = n < 0 ? n + max : n;
    if (size === 4) view.setUint32(i * 4, u);
    else if (size === 2) view.setUint16(i * 2, u);
    else out[i] = u;
  });
  return out;
}
