/** The map of a ROM image: what sits at which ROM offset, where it runs or is copied to, and how control ends up. */
import { hex } from '../../numbers.js';

export interface RomRegion {
  name: string;
  /** Offset in the ROM file. */
  offset: number;
  size: number;
  /** Address the bytes have at run time: where they execute, or where the stub copies them. */
  address: number;
  use: 'runs in place' | 'copied' | 'data';
  detail?: string;
}

export interface RomLayout {
  kind: 'sh' | 'arm' | 'arm64';
  regions: RomRegion[];
  /** Where control ends up, with the register values handed over. */
  entry: { address: number; registers: Record<string, number>; detail: string };
  /** Bytes in the ROM file. */
  size: number;
}

/** The map as a table, one region a line, then the entry. */
export function formatRomLayout(layout: RomLayout): string {
  const rows = layout.regions.map((r) => [
    r.use === 'data' ? '-' : hex(r.offset), r.use === 'data' ? '-' : hex(r.size), hex(r.address), r.use,
    r.name + (r.detail ? ` (${r.detail})` : ''),
  ]);
  const head = ['ROM offset', 'size', 'address', 'use', 'contents'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n';
  const regs = Object.entries(layout.entry.registers).map(([r, v]) => `${r}=${hex(v)}`).join(' ');
  return line(head) + rows.map(line).join('') +
    `entry: ${hex(layout.entry.address)} (${layout.entry.detail})${regs ? `, ${regs}` : ''}\n` +
    `ROM size: ${layout.size} bytes (${hex(layout.size)})\n`;
}
