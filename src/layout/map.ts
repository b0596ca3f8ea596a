/**
 * The flash and RAM maps of a layout, as text and as a self-contained SVG. Maps are drawn "not to scale", the way
 * data sheets draw memory maps: every address where something starts or ends is a boundary, each span between two
 * boundaries gets the same height, and things that overlap sit side by side in lanes, so a 512-byte DTB is as
 * readable as a 60 MiB rootfs and an overlap is plain to see. Output is deterministic (golden-tested).
 */
import type { RegionRole } from './boot.js';
import type { LayoutReport } from './check.js';
import type { LayoutImages } from './images.js';
import { type BoardLayout, isBlockDevice, placedImages } from './model.js';
import { hex, humanSize } from '../numbers.js';

interface Box {
  label: string;
  detail: string;
  start: number;
  end: number;
  style: string;
  /** 0..1: how much of the box its image fills (flash partitions). */
  fill?: number;
  /** A finding of error severity is about it. */
  error: boolean;
}

interface MapModel {
  title: string;
  subtitle: string;
  low: number;
  high: number;
  boxes: Box[];
}

const ROLE_STYLE: Record<RegionRole, string> = {
  staging: 'staging', kernel: 'kernel', decompressed: 'decompressed', dtb: 'dtb', initrd: 'initrd',
};

function flashModel(layout: BoardLayout, images: LayoutImages, report: LayoutReport): MapModel {
  const { flash } = layout;
  const flashRule = (rule: string) => rule.startsWith('flash-') || rule === 'image-oversize';
  const bad = new Set(report.findings.filter((f) => f.severity === 'error' && flashRule(f.rule)).map((f) => f.path.replace(/\.[a-zA-Z]+$/, '')));
  const imageIn = new Map(placedImages(layout).map((p) => [p.partition, p]));
  const boxes = layout.partitions.map((p, i): Box => {
    const placed = imageIn.get(p.name);
    const size = placed ? images[placed.role]?.size : undefined;
    const what = placed ? `${placed.role}${placed.file ? `: ${placed.file}` : ''}${size !== undefined ? `, ${humanSize(size)}` : ''}` : 'no image';
    return {
      label: `${p.name}${p.readOnly ? ' (ro)' : ''}`, detail: `${humanSize(p.size)} | ${what}`, start: p.offset, end: p.offset + p.size,
      style: 'partition', ...(size !== undefined ? { fill: Math.min(1, size / p.size) } : {}),
      error: bad.has(`partitions[${i}]`) || (placed !== undefined && bad.has(`images.${placed.role}`)),
    };
  });
  const geometry = flash.kind === 'nand' ? [`${flash.pageSize}-byte pages`, `${humanSize(flash.eraseBlockSize)} erase blocks`]
    : isBlockDevice(flash.kind) ? [`${flash.pageSize}-byte sectors`] : [`${humanSize(flash.eraseBlockSize)} sectors`];
  return {
    title: `Flash: ${flash.kind}, ${humanSize(flash.size)}`, subtitle: [...geometry, ...(flash.mtdId ? [`MTD ${flash.mtdId}`] : [])].join(', '),
    low: 0, high: Math.max(flash.size, ...boxes.map((b) => b.end)), boxes,
  };
}

function ramModel(layout: BoardLayout, report: LayoutReport): MapModel {
  const regions = report.plan?.regions ?? [];
  const overlapping = new Set(report.findings.filter((f) => f.rule === 'ram-overlap' || f.rule === 'ram-outside').flatMap((f) =>
    regions.filter((r) => f.message.includes(`${r.name} [`)).map((r) => r.name)));
  const boxes = regions.map((r): Box => ({
    label: r.name, detail: `${humanSize(r.size)}${r.sizeUnknown ? ' at least' : ''}`, start: r.start, end: r.start + r.size,
    style: ROLE_STYLE[r.role], error: overlapping.has(r.name),
  }));
  const { base, size } = layout.ram;
  return {
    title: `RAM: ${hex(base)}, ${humanSize(size)}`, subtitle: layout.loader ? `booted by ${layout.loader}` : '',
    low: Math.min(base, ...boxes.map((b) => b.start)), high: Math.max(base + size, ...boxes.map((b) => b.end)), boxes,
  };
}

/** Boundaries (sorted addresses) and a lane for every box, lanes filled first come first served. */
function arrange(m: MapModel): { bounds: number[]; lanes: number[]; laneCount: number } {
  const bounds = [...new Set([m.low, m.high, ...m.boxes.flatMap((b) => [b.start, b.end])])].sort((a, b) => a - b);
  const order = m.boxes.map((_, i) => i).sort((a, b) => m.boxes[a]!.start - m.boxes[b]!.start || m.boxes[b]!.end - m.boxes[a]!.end);
  const laneEnds: number[] = [];
  const lanes: number[] = new Array(m.boxes.length).fill(0);
  for (const i of order) {
    const b = m.boxes[i]!;
    let lane = laneEnds.findIndex((end) => end <= b.start);
    if (lane < 0) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = b.end;
    lanes[i] = lane;
  }
  return { bounds, lanes, laneCount: Math.max(1, laneEnds.length) };
}

function textTable(m: MapModel): string[] {
  const rows = [...m.boxes].sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [`${m.title}${m.subtitle ? ` (${m.subtitle})` : ''}`];
  if (rows.length === 0) return [...out, '  (nothing placed)'];
  const width = 32;
  const bar = (b: Box) => {
    const span = m.high - m.low || 1;
    const from = Math.floor(((b.start - m.low) / span) * width);
    const to = Math.max(from + 1, Math.ceil(((b.end - m.low) / span) * width));
    return '|' + '.'.repeat(from) + '#'.repeat(to - from) + '.'.repeat(Math.max(0, width - to)) + '|';
  };
  let cursor = m.low;
  for (const b of rows) {
    if (b.start > cursor) out.push(`  ${hex(cursor)}..${hex(b.start)}  ${' '.repeat(width + 2)}  (free, ${humanSize(b.start - cursor)})`);
    out.push(`${b.error ? '! ' : '  '}${hex(b.start)}..${hex(b.end)}  ${bar(b)}  ${b.label}: ${b.detail}${b.fill !== undefined ? ` (${Math.round(b.fill * 100)}% used)` : ''}`);
    cursor = Math.max(cursor, b.end);
  }
  if (m.high > cursor) out.push(`  ${hex(cursor)}..${hex(m.high)}  ${' '.repeat(width + 2)}  (free, ${humanSize(m.high - cursor)})`);
  return out;
}

export function layoutMapText(layout: BoardLayout, images: LayoutImages, report: LayoutReport): string {
  const lines = [...textTable(flashModel(layout, images, report)), '', ...textTable(ramModel(layout, report))];
  if (!report.plan) lines.push('  (no boot plan: the kernel needs a file and a ramAddress)');
  if (report.findings.length) {
    lines.push('', 'Findings (! marks what they are about):');
    for (const f of report.findings) lines.push(`  ${f.severity} [${f.rule}] ${f.message}`);
  }
  return lines.join('\n') + '\n';
}

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const ROW = 30;
const COLUMN = 480;
const ADDRESS_WIDTH = 92;
const TOP = 64;
/** Average width of an 11px sans-serif character, to cut labels that would leave their box. */
const CHAR_WIDTH = 6.2;

function svgColumn(m: MapModel, x: number): { body: string[]; height: number } {
  const { bounds, lanes, laneCount } = arrange(m);
  const y = (addr: number) => TOP + bounds.indexOf(addr) * ROW;
  const laneWidth = (COLUMN - ADDRESS_WIDTH - 16) / laneCount;
  const body = [
    `<text class="title" x="${x}" y="24">${escapeXml(m.title)}</text>`,
    `<text class="subtitle" x="${x}" y="42">${escapeXml(m.subtitle)}</text>`,
    `<rect class="device" x="${x + ADDRESS_WIDTH}" y="${TOP}" width="${COLUMN - ADDRESS_WIDTH - 16}" height="${(bounds.length - 1) * ROW}"/>`,
  ];
  for (const addr of bounds) {
    body.push(`<text class="address" x="${x + ADDRESS_WIDTH - 6}" y="${y(addr) + 4}">${hex(addr)}</text>`,
      `<line class="tick" x1="${x + ADDRESS_WIDTH - 4}" y1="${y(addr)}" x2="${x + ADDRESS_WIDTH}" y2="${y(addr)}"/>`);
  }
  // A box widens over the lanes to its right that are free along its whole span.
  const overlaps = (i: number, j: number) => m.boxes[i]!.start < m.boxes[j]!.end && m.boxes[j]!.start < m.boxes[i]!.end;
  const spanOf = (i: number) => {
    let span = 1;
    while (lanes[i]! + span < laneCount && !m.boxes.some((_, j) => lanes[j] === lanes[i]! + span && overlaps(i, j))) span++;
    return span;
  };
  m.boxes.forEach((b, i) => {
    const width = laneWidth * spanOf(i);
    const chars = Math.floor((width - 14) / CHAR_WIDTH);
    const bx = x + ADDRESS_WIDTH + lanes[i]! * laneWidth, by = y(b.start), h = Math.max(ROW, y(b.end) - by);
    body.push(`<g><title>${escapeXml(`${b.label}: ${hex(b.start)}..${hex(b.end)}, ${b.detail}`)}</title>`);
    body.push(`<rect class="box ${b.style}${b.error ? ' error' : ''}" x="${bx + 2}" y="${by + 1}" width="${(width - 4).toFixed(1)}" height="${h - 2}" rx="3"/>`);
    if (b.fill !== undefined) {
      body.push(`<rect class="fill" x="${bx + 2}" y="${by + 1}" width="${((width - 4) * b.fill).toFixed(1)}" height="4"/>`);
    }
    const fit = (text: string) => (text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`);
    const twoLines = h >= 2 * ROW - 2;
    body.push(`<text class="label" x="${bx + 8}" y="${by + 17}">${escapeXml(fit(twoLines ? b.label : `${b.label}: ${b.detail}`))}</text>`);
    if (twoLines) body.push(`<text class="detail" x="${bx + 8}" y="${by + 31}">${escapeXml(fit(b.detail))}</text>`);
    body.push('</g>');
  });
  return { body, height: TOP + (bounds.length - 1) * ROW };
}

const LEGEND = 'Not to scale: each band spans two listed addresses. Blue bar: the share of a partition its image fills. Red: a finding.';

const STYLE = `
  text { font-family: sans-serif; font-size: 11px; fill: #222; }
  .title { font-size: 15px; font-weight: bold; }
  .subtitle { fill: #555; }
  .address { font-family: monospace; text-anchor: end; fill: #444; }
  .tick { stroke: #888; }
  .device { fill: #f4f4f4; stroke: #999; stroke-dasharray: 4 3; }
  .box { stroke: #333; stroke-width: 1; }
  .error { stroke: #d00; stroke-width: 3; }
  .fill { fill: #1f5fa8; }
  .partition { fill: #cfe3f7; }
  .staging { fill: #dddddd; }
  .kernel { fill: #f7c98b; }
  .decompressed { fill: #fbe7a1; fill-opacity: 0.85; }
  .dtb { fill: #bfe8c0; }
  .initrd { fill: #dccbf0; }
  .finding { fill: #b00; }`;

export function layoutMapSvg(layout: BoardLayout, images: LayoutImages, report: LayoutReport): string {
  const flash = svgColumn(flashModel(layout, images, report), 10);
  const ram = svgColumn(ramModel(layout, report), 20 + COLUMN);
  const errors = report.findings.filter((f) => f.severity !== 'info');
  const bottom = Math.max(flash.height, ram.height) + 24;
  const notes = [
    `<text class="subtitle" x="10" y="${bottom}">${escapeXml(LEGEND)}</text>`,
    ...errors.map((f, i) => `<text class="finding" x="10" y="${bottom + 20 + i * 16}">${escapeXml(`${f.severity} [${f.rule}]: ${f.message}`)}</text>`),
  ];
  const height = bottom + 12 + errors.length * 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * COLUMN + 30}" height="${height}" viewBox="0 0 ${2 * COLUMN + 30} ${height}">`,
    `<title>${escapeXml(`${layout.board ?? 'board'} layout: flash and RAM maps (not to scale)`)}</title>`,
    `<style>${STYLE}\n</style>`,
    ...flash.body, ...ram.body, ...notes, '</svg>', '',
  ].join('\n');
}
