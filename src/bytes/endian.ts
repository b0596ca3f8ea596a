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
