/**
 * dtc's string escapes (data_copy_escape_string): \a \b \t \n \v \f \r, up to three octal digits, \x with one or two
 * hex digits, and any other escaped character standing for itself; the result ends in the NUL dtc appends.
 */
const OCT = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x37;
function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
const SIMPLE: Record<number, number> = { 0x61: 7, 0x62: 8, 0x74: 9, 0x6e: 10, 0x76: 11, 0x66: 12, 0x72: 13 };

/** The bytes of t[start, end) with escapes resolved, plus a NUL. `fatal` is called for \x without a hex digit. */
export function escapedBytes(t: Uint8Array, start: number, end: number, fatal: (message: string) => never): Uint8Array {
  const out = new Uint8Array(end - start + 2);
  let n = 0;
  let i = start;
  while (i < end) {
    const c = t[i++]!;
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    // As in dtc, a backslash just before the closing quote escapes the quote itself (`'\'` is a quote).
    const e = t[i] ?? 0;
    if (SIMPLE[e] !== undefined) {
      out[n++] = SIMPLE[e]!;
      i++;
    } else if (OCT(e)) {
      let v = 0;
      for (let k = 0; k < 3 && i < end && OCT(t[i]); k++) v = v * 8 + (t[i++]! - 0x30);
      out[n++] = v & 0xff;
    } else if (e === 0x78) {
      i++;
      let v = 0;
      let k = 0;
      for (; k < 2 && i < end && hexValue(t[i]) >= 0; k++) v = v * 16 + hexValue(t[i++]);
      if (k === 0) fatal('\\x used with no following hex digits');
      out[n++] = v;
    } else {
      out[n++] = e;
      i++;
    }
  }
  out[n++] = 0;
  return out.subarray(0, n);
}
