/**
 * dtc's check pass (process_checks): checks run in table order, each after its prerequisites, over every node in
 * tree order; the fixups that change the tree (explicit phandles, references, omit-if-no-ref) are checks among
 * the others, so their order is dtc's. As in dtc, once an enabled error-level check has failed no further check
 * runs (`error = error || run_check(...)`), and a check whose prerequisite failed does not run.
 *
 * The table here holds the checks that decide the output bytes or that dtc treats as errors by default; semantic
 * checks that only warn join it from checks.ts.
 */
import type { DeviceTree, DtNode, DtProperty, Marker } from '../tree.js';
import {
  type CheckFailure, type Fail, type PhandleFormat, TreeIndex, explicitPhandles, omitUnusedNodes, pathReferences,
  phandleReferences,
} from './fixups.js';
import { positionString } from './session.js';

export interface CheckContext {
  ix: TreeIndex;
  /** -@ was given. */
  symbols: boolean;
  labelSites?: Map<string, LabelSite>;
}

export interface DtcCheck {
  name: string;
  warn: boolean;
  error: boolean;
  prereqs: string[];
  node(ctx: CheckContext, n: DtNode, fail: Fail): void;
}

const check = (name: string, level: 'error' | 'warn' | 'none', node: DtcCheck['node'], ...prereqs: string[]): DtcCheck => ({
  name, warn: level === 'warn', error: level === 'error', prereqs, node,
});

/** The checks that come before the fixups in dtc's table, and the fixups themselves, in table order. */
export const FIXUP_CHECKS: readonly DtcCheck[] = [
  check('duplicate_node_names', 'error', (_c, n, fail) => {
    n.children.forEach((c, i) => {
      for (const d of n.children.slice(i + 1)) if (d.name === c.name) fail({ node: d, message: 'Duplicate node name' });
    });
  }),
  check('duplicate_property_names', 'error', (_c, n, fail) => {
    n.properties.forEach((p, i) => {
      if (n.properties.slice(i + 1).some((q) => q.name === p.name)) fail({ node: n, prop: p, message: 'Duplicate property name' });
    });
  }),
  check('name_is_string', 'error', (_c, n, fail) => {
    const p = n.properties.find((x) => x.name === 'name');
    if (p && !isOneString(p.value)) fail({ node: n, prop: p, message: 'property is not a string' });
  }),
  check('name_properties', 'error', (_c, n, fail) => {
    const i = n.properties.findIndex((x) => x.name === 'name');
    if (i < 0) return;
    const p = n.properties[i]!;
    const base = n.name.split('@')[0]!;
    const v = p.value;
    const same = v.length === base.length + 1 && [...base].every((ch, k) => v[k] === (ch.charCodeAt(0) & 0xff));
    if (!same) {
      const shown = String.fromCharCode(...v.subarray(0, v.indexOf(0) < 0 ? v.length : v.indexOf(0)));
      fail({ node: n, message: `"name" property is incorrect ("${shown}" instead of base node name)` });
    } else n.properties.splice(i, 1);
  }, 'name_is_string'),
  check('duplicate_label', 'error', (ctx, n, fail) => duplicateLabels(ctx, n, fail)),
  check('explicit_phandles', 'error', (ctx, n, fail) => explicitPhandles(ctx.ix, n, fail)),
  check('phandle_references', 'error', (ctx, n, fail) => phandleReferences(ctx.ix, n, fail), 'duplicate_node_names', 'explicit_phandles'),
  check('path_references', 'error', (ctx, n, fail) => pathReferences(ctx.ix, n, fail), 'duplicate_node_names'),
  check('omit_unused_nodes', 'error', (ctx, n) => omitUnusedNodes(ctx.ix, n, ctx.symbols), 'phandle_references', 'path_references'),
];

function isOneString(v: Uint8Array): boolean {
  return v.length > 0 && v.indexOf(0) === v.length - 1;
}

interface LabelSite {
  node: DtNode;
  prop?: DtProperty;
  mark?: Marker;
}

/** Where each label is first found, by dtc's search order: node labels, then property labels, then value labels. */
function labelSites(root: DtNode): Map<string, LabelSite> {
  const nodes = new Map<string, LabelSite>();
  const props = new Map<string, LabelSite>();
  const marks = new Map<string, LabelSite>();
  const walk = (n: DtNode) => {
    for (const l of n.labels) if (!nodes.has(l)) nodes.set(l, { node: n });
    for (const p of n.properties) {
      for (const l of p.labels) if (!props.has(l)) props.set(l, { node: n, prop: p });
      for (const m of p.markers) if (m.type === 'label' && !marks.has(m.ref!)) marks.set(m.ref!, { node: n, prop: p, mark: m });
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  for (const [l, site] of props) if (!nodes.has(l)) nodes.set(l, site);
  for (const [l, site] of marks) if (!nodes.has(l)) nodes.set(l, site);
  return nodes;
}

const describeSite = (ix: TreeIndex, s: LabelSite) =>
  `${s.mark ? 'value of ' : ''}${s.prop ? `'${s.prop.name}' in ` : ''}${ix.pathOf(s.node)}`;

/** duplicate_label: a label names one node, property or place in a value. */
function duplicateLabels(ctx: CheckContext, n: DtNode, fail: Fail): void {
  const sites = (ctx.labelSites ??= labelSites(ctx.ix.tree.root));
  const one = (label: string, here: LabelSite) => {
    const other = sites.get(label);
    if (!other) return;
    if (other.node !== here.node || other.prop !== here.prop || other.mark !== here.mark) {
      fail({ node: n, message: `Duplicate label '${label}' on ${describeSite(ctx.ix, here)} and ${describeSite(ctx.ix, other)}` });
    }
  };
  for (const l of n.labels) one(l, { node: n });
  for (const p of n.properties) {
    for (const l of p.labels) one(l, { node: n, prop: p });
    for (const m of p.markers) if (m.type === 'label') one(m.ref!, { node: n, prop: p, mark: m });
  }
}

/** A check's level as -W/-E left it. */
export interface CheckLevel {
  warn: boolean;
  error: boolean;
}

export interface CheckRunOptions {
  symbols?: boolean;
  phandleFormat?: PhandleFormat;
  /** -q count: 1 hides warnings, 2 errors too. */
  quiet?: number;
  /** Where messages about nodes without a source position point (dtc's output name, `<stdout>` for `-`). */
  outName?: string;
  /** Levels set by -W/-E, by check name; the table's defaults otherwise. */
  levels?: ReadonlyMap<string, CheckLevel>;
  /** Checks from checks.ts, placed after the fixups as in dtc's table. */
  more?: readonly DtcCheck[];
}

export interface CheckRunResult {
  ix: TreeIndex;
  /** An enabled error-level check failed. */
  failed: boolean;
  messages: string[];
}

type Status = 'unchecked' | 'prereq' | 'passed' | 'failed';

/** process_checks: run the table over the tree, changing it as dtc's fixups do. */
export function runChecks(tree: DeviceTree, opts: CheckRunOptions = {}): CheckRunResult {
  const ix = new TreeIndex(tree, opts.phandleFormat);
  const table = [...FIXUP_CHECKS, ...(opts.more ?? [])];
  const byName = new Map(table.map((c) => [c.name, c]));
  const level = (c: DtcCheck): CheckLevel => opts.levels?.get(c.name) ?? c;
  const status = new Map<DtcCheck, Status>();
  const quiet = opts.quiet ?? 0;
  const messages: string[] = [];
  const ctx: CheckContext = { ix, symbols: opts.symbols ?? false };

  const message = (c: DtcCheck, f: CheckFailure) => {
    const { warn, error } = level(c);
    if (!(warn && quiet < 1) && !(error && quiet < 2)) return;
    const pos = f.prop?.pos ?? f.node?.pos;
    let s = pos ? positionString(pos) : opts.outName === undefined || opts.outName === '-' ? '<stdout>' : opts.outName;
    s += `: ${error ? 'ERROR' : 'Warning'} (${c.name}): `;
    if (f.node) s += f.prop ? `${ix.pathOf(f.node)}:${f.prop.name}: ` : `${ix.pathOf(f.node)}: `;
    s += f.message;
    if (!f.prop && f.node?.pos) for (const p of f.node.alsoAt ?? []) s += `\n  also defined at ${positionString(p)}`;
    messages.push(s);
  };

  const run = (c: DtcCheck): boolean => {
    let error = false;
    if ((status.get(c) ?? 'unchecked') === 'unchecked') {
      for (const name of c.prereqs) {
        const p = byName.get(name);
        if (!p) continue;
        error = error || run(p);
        if (status.get(p) !== 'passed') {
          status.set(c, 'prereq');
          message(c, { message: `Failed prerequisite '${name}'` });
        }
      }
      if ((status.get(c) ?? 'unchecked') === 'unchecked') {
        const fail: Fail = (f) => {
          status.set(c, 'failed');
          message(c, f);
        };
        const visit = (n: DtNode) => {
          c.node(ctx, n, fail);
          for (const child of [...n.children]) if (n.children.includes(child)) visit(child);
        };
        if (!tree.rootDeleted) visit(tree.root);
        if ((status.get(c) ?? 'unchecked') === 'unchecked') status.set(c, 'passed');
      }
    }
    if (status.get(c) !== 'passed' && level(c).error) error = true;
    return error;
  };

  let failed = false;
  for (const c of table) {
    const { warn, error } = level(c);
    if ((warn || error) && !failed) failed = run(c);
  }
  return { ix, failed, messages };
}
