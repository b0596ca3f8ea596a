export function readU32BE(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

export function writeU32BE(b: Uint8Array, offset: number, value: number): void {
  b[offset] = value >>> 24;
  b[offset + 1] = value >>> 16;
  b[offset + 2] = value >>> 8;
  b[offset + 3] = value;
}

export function readU32LE(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
}

export function writeU32LE(b: Uint8Array, offset: number, value: number): void {
  b[offset] = value;
  b[offset + 1] = value >>> 8;
  b[offset + 2] = value >>> 16;
  b[offset + 3] = value >>> 24;
}

export function readU16LE(b: Uint8Array, offset: number): number {
  return b[offset]! | (b[offset + 1]! << 8);
}

export function readU16BE(b: Uint8Array, offset: number): number {
  return (b[offset]! << 8) | b[offset + 1]!;
}

/** 64-bit fields as bigint: addresses such as 0xffffffff81000000 do not fit a double. */
export function readU64LE(b: Uint8Array, offset: number): bigint {
  return (BigInt(readU32LE(b, offset + 4)) << 32n) | BigInt(readU32LE(b, offset));
}

export function readU64BE(b: Uint8Array, offset: number): bigint {
  return (BigInt(readU32BE(b, offset)) << 32n) | BigInt(readU32BE(b, offset + 4));
}

export function writeU64LE(b: Uint8Array, offset: number, value: bigint): void {
  writeU32LE(b, offset, Number(value & 0xffffffffn));
  writeU32LE(b, offset + 4, Number((value >> 32n) & 0xffffffffn));
}

export function writeU64BE(b: Uint8Array, offset: number, value: bigint): void {
  writeU32BE(b, offset, Number((value >> 32n) & 0xffffffffn));
  writeU32BE(b, offset + 4, Number(value & 0xffffffffn));
}

/** Bytes equal `expected` at `offset` (false when the buffer is too short). */
export function bytesAt(b: Uint8Array, offset: number, expected: ArrayLike<number>): boolean {
  if (offset < 0 || offset + expected.length > b.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[offset + i] !== expected[i]) return false;
  return true;
}

/** A NUL-terminated ASCII/UTF-8 string starting at `offset`, at most `max` bytes long. */
export function readCString(b: Uint8Array, offset: number, max = b.length - offset): string {
  const end = Math.min(b.length, offset + max);
  let at = offset;
  while (at < end && b[at] !== 0) at++;
  return new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(offset, at));
}
