/**
 * An inspection as JSON (numbers as numbers, a `…Hex` string beside the fields a format lists as hex, 64-bit values
 * past 2^53 as decimal strings) and as a readable tree. Both are pure, so a browser shows the same thing.
 */
import type { Finding, Severity } from '../findings.js';
import { formatById } from '../formats/registry.js';
import type { Ikconfig, InspectNode, InspectReport } from './inspect.js';

export function hexOf(n: number | bigint): string {
  const big = BigInt(n);
  const digits = big > 0xffffffffn ? 16 : 8;
  return '0x' + (big < 0n ? big & 0xffffffffffffffffn : big).toString(16).padStart(digits, '0');
}

/** A decoded value as JSON: bigint → number (or a decimal string past 2^53), bytes → hex, `…Hex` beside hex fields. */
export function valueJson(v: unknown, hexFields: ReadonlySet<string>): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
  if (Array.isArray(v)) return v.map((x) => valueJson(x, hexFields));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(v)) {
    if (field === undefined) continue;
    out[key] = valueJson(field, hexFields);
    if (hexFields.has(key) && (typeof field === 'number' || typeof field === 'bigint') && !(`${key}Hex` in v)) out[`${key}Hex`] = hexOf(field);
  }
  return out;
}

function hexFieldsOf(node: InspectNode): ReadonlySet<string> {
  return new Set(formatById(node.format)?.hexFields ?? []);
}

export function nodeJson(node: InspectNode): object {
  return {
    name: node.name,
    format: node.format,
    space: node.space,
    offset: node.offset, offsetHex: hexOf(node.offset),
    length: node.length,
    summary: node.summary,
    ...(node.arch ? { arch: node.arch } : {}),
    ...(node.value !== undefined ? { fields: valueJson(node.value, hexFieldsOf(node)) } : {}),
    ...(node.banner ? { banner: node.banner } : {}),
    ...(node.ikconfig ? { ikconfig: { bytes: node.ikconfig.bytes, options: node.ikconfig.options } } : {}),
    findings: node.findings,
    children: node.children.map(nodeJson),
  };
}

export function allFindings(node: InspectNode): Finding[] {
  return [...node.findings, ...node.children.flatMap(allFindings)];
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

export function reportJson(file: string, r: InspectReport): object {
  return {
    file,
    size: r.size,
    format: r.root.format,
    summary: r.root.summary,
    root: nodeJson(r.root),
    loaders: r.loaders,
    counts: severityCounts(allFindings(r.root)),
  };
}

/** Field lines of a value: nested objects indent, lists of objects number their items, hex fields show hex. */
function fieldLines(v: unknown, hexFields: ReadonlySet<string>, indent: string): string[] {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  const out: string[] = [];
  for (const [key, field] of Object.entries(v)) {
    if (field === undefined || key.endsWith('Hex')) continue;
    if (Array.isArray(field) && field.length === 0) {
      out.push(`${indent}${key}: none`);
    } else if (Array.isArray(field) && field.some((x) => typeof x === 'object' && x !== null)) {
      out.push(`${indent}${key}:`);
      field.forEach((x, i) => {
        out.push(`${indent}  [${i}]`);
        out.push(...fieldLines(x, hexFields, indent + '    '));
      });
    } else if (typeof field === 'object' && field !== null && !Array.isArray(field) && !(field instanceof Uint8Array)) {
      const named = field as { id?: unknown; longName?: unknown };
      if (named.longName !== undefined && named.id !== undefined) {
        out.push(`${indent}${key}: ${named.longName} (${named.id})`);
      } else {
        out.push(`${indent}${key}:`);
        out.push(...fieldLines(field, hexFields, indent + '  '));
      }
    } else {
      const hex = (v as Record<string, unknown>)[`${key}Hex`];
      const numeric = typeof field === 'number' || typeof field === 'bigint';
      out.push(`${indent}${key}: ${numeric && typeof hex === 'string' ? `${hex} (${field})` : scalar(key, field, hexFields)}`);
    }
  }
  return out;
}

function scalar(key: string, v: unknown, hexFields: ReadonlySet<string>): string {
  if ((typeof v === 'number' || typeof v === 'bigint') && hexFields.has(key)) return `${hexOf(v)} (${v})`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ');
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return String(v);
}

function ikconfigLine(c: Ikconfig): string {
  const local = c.localVersion !== undefined ? `CONFIG_LOCALVERSION=${JSON.stringify(c.localVersion)}; ` : '';
  return `ikconfig: ${c.options} options (${local}print it with --ikconfig)`;
}

/** The first embedded kernel configuration in the tree (the kernel's, whatever wraps it). */
export function ikconfigOf(node: InspectNode): Ikconfig | undefined {
  return node.ikconfig ?? node.children.map(ikconfigOf).find((c) => c !== undefined);
}

function findingLine(f: Finding): string {
  return `${f.severity} ${f.rule}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}`;
}

function nodeLines(node: InspectNode, prefix: string, last: boolean, top: boolean): string[] {
  const where = node.space === 'decompressed' && node.offset === 0 ? `${node.length} bytes` : `@ ${hexOf(node.offset)}, ${node.length} bytes`;
  const head = top ? `${node.summary} (${node.length} bytes)` : `${node.name} ${where}: ${node.summary}`;
  const branch = top ? '' : last ? '└─ ' : '├─ ';
  const inner = top ? prefix : prefix + (last ? '   ' : '│  ');
  const lines = [prefix + branch + head];
  lines.push(...fieldLines(node.value, hexFieldsOf(node), inner + '  '));
  if (node.banner) lines.push(`${inner}  banner: ${node.banner}`);
  if (node.ikconfig) lines.push(`${inner}  ${ikconfigLine(node.ikconfig)}`);
  for (const f of node.findings) lines.push(`${inner}  ! ${findingLine(f)}`);
  node.children.forEach((c, i) => lines.push(...nodeLines(c, inner, i === node.children.length - 1, false)));
  return lines;
}

/** The readable tree: the file, its parts in turn, findings where they apply, then the loader verdicts. */
export function formatTree(file: string, r: InspectReport): string {
  const lines = [`${file}:`, ...nodeLines(r.root, '  ', true, true)];
  if (r.loaders.length) {
    lines.push('  loaders:');
    for (const v of r.loaders) {
      const verdict = v.accepts === null ? 'maybe' : v.accepts ? 'yes' : 'no';
      lines.push(`    ${v.loader.padEnd(14)} ${verdict.padEnd(5)} ${[v.how, v.note].filter(Boolean).join(': ')}`.trimEnd());
    }
  }
  return lines.join('\n') + '\n';
}
