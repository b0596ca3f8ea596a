/** Sizes and addresses as people write them in layouts and on command lines (4096, 0x200000, 128KiB, 8M), and how uimg prints them. */

/** Binary units only: K, KiB and KB all mean 1024, as in U-Boot's and Linux's own size strings. */
const UNITS: Record<string, number> = { '': 1, k: 1 << 10, ki: 1 << 10, m: 1 << 20, mi: 1 << 20, g: 1 << 30, gi: 1 << 30 };

/** A non-negative byte count or address, or undefined when the text is not one (or is not an exact integer). */
export function parseByteCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(0[xX][0-9a-fA-F]+|\d+)\s*([kKmMgG](?:i?[bB])?)?\s*$/.exec(value);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? '').toLowerCase().replace(/b$/, '')]!;
  const n = (/^0x/i.test(m[1]!) ? parseInt(m[1]!, 16) : parseInt(m[1]!, 10)) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** 0x-prefixed hex, at least `digits` digits (8: how loaders' configs and U-Boot print addresses). */
export function hex(n: number, digits = 8): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

/** A size for people in the largest unit it reaches: 12 MiB, 128 KiB, 63.4 MiB, 100 B (exact values without decimals). */
export function humanSize(n: number): string {
  for (const [unit, scale] of [['GiB', 1 << 30], ['MiB', 1 << 20], ['KiB', 1 << 10]] as const) {
    if (n >= scale) return n % scale === 0 ? `${n / scale} ${unit}` : `${(n / scale).toFixed(1)} ${unit}`;
  }
  return `${n} B`;
}

export const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

