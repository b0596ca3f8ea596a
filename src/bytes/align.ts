/** Rounding offsets, sizes and addresses to a multiple of an alignment (any positive integer, not only powers of 2). */
export const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;
export const alignDown = (n: number, to: number): number => Math.floor(n / to) * to;
