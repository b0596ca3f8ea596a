/**
 * dtc 1.6.1's semantic checks over a DeviceTree: the same table, in the same order, with the same prerequisites,
 * default levels, `-W`/`-E` switches and messages, so `uimg dtc` prints what dtc prints on stderr and fails where it
 * fails. Checks are data, not output: runChecks returns the messages (with dtc's text for each) and whether an error
 * check failed; the CLI prints them and picks the exit code (dtc: 2 unless forced).
 *
 * Like dtc, a few checks change the tree: explicit_phandles records each node's `phandle`, name_properties drops a
 * `name` property that only repeats the node name, and the three fixups (phandle_references, path_references,
 * omit_unused_nodes), whose code the compiler passes in, resolve references and drop unreferenced nodes.
 */
import { UimgError } from '../../../errors.js';
import type { DeviceTree, DtNode, DtProperty, SourcePosition } from '../tree.js';
import {
  baseName, cellAt, cString, getNodeByLabel, getNodeByPath, getNodeByPhandle, getNodeByRef, getProperty, getSubnode,
  joinPath, unitName,
} from './lookup.js';

/** What a fixup or check function sees: the tree, each node's path and parent, and how to report a failure. */
export interface CheckContext {
  readonly tree: DeviceTree;
  /** The node's full path, `/` for the root. */
  path(node: DtNode): string;
  parent(node: DtNode): DtNode | undefined;
  /** Mark the running check failed and report `message` about the node (or the property, when given). */
  fail(node: DtNode | undefined, message: string, prop?: DtProperty): void;
}

/** A check's work on one node; the table visits every node depth first, parents before children. */
export type CheckFunction = (ctx: CheckContext, node: DtNode) => void;

/** The fixups dtc runs as error checks; the compiler supplies them (without them they pass, as on a blob). */
export type FixupName = 'phandle_references' | 'path_references' | 'omit_unused_nodes';

/** A `-W`/`-E` switch as given: `{ kind: 'W', name: 'no-unit_address_vs_reg' }`; `no-` or `no_` turns it off. */
export interface CheckSwitch {
  kind: 'W' | 'E';
  name: string;
}

export interface CheckOptions {
  /** `-W`/`-E` switches, applied in order. An unknown name throws UNKNOWN_NAME (dtc: `Unrecognized check name`). */
  switches?: readonly CheckSwitch[];
  /** `-f`: errors do not stop output. */
  force?: boolean;
  /** `-q` count: 1 hides warnings, 2 errors too, 3 the forced-output note. */
  quiet?: number;
  /** The output file name (`-` for stdout): the location of messages about things with no source position. */
  outName?: string;
  /** The tree came from `/plugin/` source: unresolved references and phandles 0 and -1 are allowed. */
  plugin?: boolean;
  fixups?: Partial<Record<FixupName, CheckFunction>>;
}

export interface CheckMessage {
  check: string;
  level: 'ERROR' | 'Warning';
  /** The node's path, when the message is about a node. */
  path?: string;
  property?: string;
  message: string;
  pos?: SourcePosition;
  /** The lines dtc prints for it (ending in a newline), e.g. `t.dts:5.3-10: Warning (reg_format): /a:reg: ...`. */
  text: string;
}

export interface CheckReport {
  messages: CheckMessage[];
  /** An error check failed. */
  failed: boolean;
  /** dtc stops with exit 2: `failed` and not forced. */
  abort: boolean;
  /** dtc's closing line when `failed` (`ERROR: Input tree has errors, aborting ...`), unless quiet hides it. */
  summary?: string;
}

type Bus = 'PCI' | 'simple-bus' | 'i2c-bus' | 'spi-bus' | 'graph-port' | 'graph-ports';

interface NodeState {
  parent?: DtNode;
  path: string;
  /** -1: no #address-cells; 0 until addr_size_cells ran (dtc's zeroed node). */
  addrCells: number;
  sizeCells: number;
  bus?: Bus;
}

type RunFn = (ctx: Run, node: DtNode) => void;

interface CheckDef {
  name: string;
  fn?: RunFn;
  warn: boolean;
  error: boolean;
  prereqs: string[];
}

/** The run's view of the tree; check functions reach the per-node state through it. */
interface Run extends CheckContext {
  state(node: DtNode): NodeState;
  /** #address-cells and #size-cells as the checks use them (2 and 1 when absent). */
  addrCells(node: DtNode): number;
  sizeCells(node: DtNode): number;
  plugin: boolean;
  root: DtNode;
}

const isMultipleOf = (multiple: number, divisor: number) => (divisor === 0 ? multiple === 0 : multiple % divisor === 0);
const hex = (n: number) => (n >>> 0).toString(16);
/** dtc's int: a cell read into a signed 32-bit variable. */
const int32 = (n: number) => n | 0;

function isOneString(v: Uint8Array): boolean {
  return v.length > 0 && v.indexOf(0) === v.length - 1;
}

function isString(propName: string): RunFn {
  return (ctx, node) => {
    const prop = getProperty(node, propName);
    if (prop && !isOneString(prop.value)) ctx.fail(node, 'property is not a string', prop);
  };
}

function checkStringList(ctx: Run, node: DtNode, prop: DtProperty): void {
  if (prop.value.length > 0 && prop.value[prop.value.length - 1] !== 0) ctx.fail(node, 'property is not a string list', prop);
}

function isStringList(propName: string): RunFn {
  return (ctx, node) => {
    const prop = getProperty(node, propName);
    if (prop) checkStringList(ctx, node, prop);
  };
}

function isCell(propName: string): RunFn {
  return (ctx, node) => {
    const prop = getProperty(node, propName);
    if (prop && prop.value.length !== 4) ctx.fail(node, 'property is not a single cell', prop);
  };
}

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const NODECHARS = LOWERCASE + UPPERCASE + DIGITS + ',._+-@';
const PROPCHARS = LOWERCASE + UPPERCASE + DIGITS + ',._+*#?-';
const STRICTCHARS = LOWERCASE + UPPERCASE + DIGITS + ',-';

/** C's strspn: the length of the prefix made of `chars`. */
function span(s: string, chars: string): number {
  let n = 0;
  while (n < s.length && chars.includes(s[n]!)) n++;
  return n;
}

function nodeIsCompatible(node: DtNode, compat: string): boolean {
  const prop = getProperty(node, 'compatible');
  if (!prop) return false;
  return new TextDecoder().decode(prop.value).split('\0').includes(compat);
}

function labelOwner(root: DtNode, label: string): { node: DtNode; prop?: DtProperty; mark?: number } | undefined {
  const node = getNodeByLabel(root, label);
  if (node) return { node };
  const walk = (n: DtNode, test: (p: DtProperty) => number | undefined): { node: DtNode; prop: DtProperty; mark?: number } | undefined => {
    for (const p of n.properties) {
      const hit = test(p);
      if (hit !== undefined) return hit < 0 ? { node: n, prop: p } : { node: n, prop: p, mark: hit };
    }
    for (const c of n.children) {
      const r = walk(c, test);
      if (r) return r;
    }
    return undefined;
  };
  return walk(root, (p) => (p.labels.includes(label) ? -1 : undefined))
    ?? walk(root, (p) => {
      const i = p.markers.findIndex((m) => m.type === 'label' && m.ref === label);
      return i < 0 ? undefined : i;
    });
}

function describeLabel(ctx: Run, node: DtNode, prop: DtProperty | undefined, mark: number | undefined): string {
  return `${mark !== undefined ? 'value of ' : ''}${prop ? `'${prop.name}' in ` : ''}${ctx.path(node)}`;
}

const duplicateLabel: RunFn = (ctx, node) => {
  const check = (label: string, prop?: DtProperty, mark?: number) => {
    const other = labelOwner(ctx.root, label);
    if (!other) return;
    if (other.node !== node || other.prop !== prop || other.mark !== mark) {
      ctx.fail(node, `Duplicate label '${label}' on ${describeLabel(ctx, node, prop, mark)} and ${describeLabel(ctx, other.node, other.prop, other.mark)}`);
    }
  };
  for (const l of node.labels) check(l);
  for (const prop of node.properties) {
    for (const l of prop.labels) check(l, prop);
    prop.markers.forEach((m, i) => {
      if (m.type === 'label') check(m.ref ?? '', prop, i);
    });
  }
};

function phandleProp(ctx: Run, node: DtNode, name: string): number {
  const prop = getProperty(node, name);
  if (!prop) return 0;
  if (prop.value.length !== 4) {
    ctx.fail(node, `bad length (${prop.value.length}) ${prop.name} property`, prop);
    return 0;
  }
  const ref = prop.markers.find((m) => m.type === 'phandle-ref');
  if (ref) {
    // `phandle = <&self>` asks for a phandle to be allocated; pointing at another node is nonsense.
    if (node !== getNodeByRef(ctx.root, ref.ref ?? '')) ctx.fail(node, `${prop.name} is a reference to another node`);
    return 0;
  }
  const phandle = cellAt(prop.value, 0);
  if (phandle === 0 || phandle === 0xffffffff) {
    ctx.fail(node, `bad value (0x${hex(phandle)}) in ${prop.name} property`, prop);
    return 0;
  }
  return phandle;
}

const explicitPhandles: RunFn = (ctx, node) => {
  let phandle = phandleProp(ctx, node, 'phandle');
  const linuxPhandle = phandleProp(ctx, node, 'linux,phandle');
  if (!phandle && !linuxPhandle) return;
  if (linuxPhandle && phandle && phandle !== linuxPhandle) ctx.fail(node, "mismatching 'phandle' and 'linux,phandle' properties");
  if (linuxPhandle && !phandle) phandle = linuxPhandle;
  const other = getNodeByPhandle(ctx.root, phandle);
  if (other && other !== node) {
    ctx.fail(node, `duplicated phandle 0x${hex(phandle)} (seen before at ${ctx.path(other)})`);
    return;
  }
  node.phandle = phandle;
};

const nameProperties: RunFn = (ctx, node) => {
  const i = node.properties.findIndex((p) => p.name === 'name');
  if (i < 0) return;
  const prop = node.properties[i]!;
  const base = baseName(node);
  const nameBytes = new TextEncoder().encode(base);
  const same = prop.value.length === nameBytes.length + 1 && nameBytes.every((b, j) => prop.value[j] === b);
  if (!same) ctx.fail(node, `"name" property is incorrect ("${cString(prop.value)}" instead of base node name)`);
  else node.properties.splice(i, 1); // correct, hence redundant
};

const aliasPaths: RunFn = (ctx, node) => {
  if (node.name !== 'aliases') return;
  for (const prop of node.properties) {
    if (prop.name === 'phandle' || prop.name === 'linux,phandle') continue;
    if (prop.value.length === 0 || !getNodeByPath(ctx.root, cString(prop.value))) {
      ctx.fail(node, `aliases property is not a valid node (${prop.value.length === 0 ? '(null)' : cString(prop.value)})`, prop);
      continue;
    }
    if (span(prop.name, LOWERCASE + DIGITS + '-') !== prop.name.length) ctx.fail(node, "aliases property name must include only lowercase and '-'");
  }
};

const addrSizeCells: RunFn = (ctx, node) => {
  const s = ctx.state(node);
  const a = getProperty(node, '#address-cells');
  const z = getProperty(node, '#size-cells');
  s.addrCells = a ? int32(cellAt(a.value, 0)) : -1;
  s.sizeCells = z ? int32(cellAt(z.value, 0)) : -1;
};

const regFormat: RunFn = (ctx, node) => {
  const prop = getProperty(node, 'reg');
  if (!prop) return;
  const parent = ctx.parent(node);
  if (!parent) {
    ctx.fail(node, 'Root node has a "reg" property');
    return;
  }
  if (prop.value.length === 0) ctx.fail(node, 'property is empty', prop);
  const a = ctx.addrCells(parent);
  const s = ctx.sizeCells(parent);
  if (!isMultipleOf(prop.value.length, (a + s) * 4)) {
    ctx.fail(node, `property has invalid length (${prop.value.length} bytes) (#address-cells == ${a}, #size-cells == ${s})`, prop);
  }
};

function rangesFormat(ranges: string): RunFn {
  return (ctx, node) => {
    const prop = getProperty(node, ranges);
    if (!prop) return;
    const parent = ctx.parent(node);
    if (!parent) {
      ctx.fail(node, `Root node has a "${ranges}" property`, prop);
      return;
    }
    const pa = ctx.addrCells(parent);
    const ps = ctx.sizeCells(parent);
    const ca = ctx.addrCells(node);
    const cs = ctx.sizeCells(node);
    if (prop.value.length === 0) {
      if (pa !== ca) ctx.fail(node, `empty "${ranges}" property but its #address-cells (${ca}) differs from ${ctx.path(parent)} (${pa})`, prop);
      if (ps !== cs) ctx.fail(node, `empty "${ranges}" property but its #size-cells (${cs}) differs from ${ctx.path(parent)} (${ps})`, prop);
    } else if (!isMultipleOf(prop.value.length, (pa + ca + cs) * 4)) {
      ctx.fail(node, `"${ranges}" property has invalid length (${prop.value.length} bytes) (parent #address-cells == ${pa}, child #address-cells == ${ca}, #size-cells == ${cs})`, prop);
    }
  };
}

const pciBridge: RunFn = (ctx, node) => {
  const dt = getProperty(node, 'device_type');
  if (!dt || cString(dt.value) !== 'pci') return;
  ctx.state(node).bus = 'PCI';
  const base = baseName(node);
  if (base !== 'pci' && base !== 'pcie') ctx.fail(node, 'node name is not "pci" or "pcie"');
  if (!getProperty(node, 'ranges')) ctx.fail(node, 'missing ranges for PCI bridge (or not a bridge)');
  if (ctx.addrCells(node) !== 3) ctx.fail(node, 'incorrect #address-cells for PCI bridge');
  if (ctx.sizeCells(node) !== 2) ctx.fail(node, 'incorrect #size-cells for PCI bridge');
  const busRange = getProperty(node, 'bus-range');
  if (!busRange) return;
  if (busRange.value.length !== 8) {
    ctx.fail(node, 'value must be 2 cells', busRange);
    return;
  }
  if (cellAt(busRange.value, 0) > cellAt(busRange.value, 1)) ctx.fail(node, '1st cell must be less than or equal to 2nd cell', busRange);
  if (cellAt(busRange.value, 1) > 0xff) ctx.fail(node, 'maximum bus number must be less than 256', busRange);
};

const onBus = (ctx: Run, node: DtNode, bus: Bus): DtNode | undefined => {
  const parent = ctx.parent(node);
  return parent && ctx.state(parent).bus === bus ? parent : undefined;
};

const pciDeviceBusNum: RunFn = (ctx, node) => {
  const parent = onBus(ctx, node, 'PCI');
  if (!parent) return;
  const reg = getProperty(node, 'reg');
  if (!reg) return;
  const busNum = (cellAt(reg.value, 0) & 0x00ff0000) >>> 16;
  const range = getProperty(parent, 'bus-range');
  // dtc reads the first cell of bus-range for both ends.
  const min = range ? cellAt(range.value, 0) : 0;
  const max = min;
  if (busNum < min || busNum > max) ctx.fail(node, `PCI bus number ${busNum} out of range, expected (${min} - ${max})`, range);
};

const pciDeviceReg: RunFn = (ctx, node) => {
  if (!onBus(ctx, node, 'PCI')) return;
  const prop = getProperty(node, 'reg');
  if (!prop) return;
  if (cellAt(prop.value, 1) || cellAt(prop.value, 2)) ctx.fail(node, 'PCI reg config space address cells 2 and 3 must be 0', prop);
  const reg = cellAt(prop.value, 0);
  const dev = (reg & 0xf800) >>> 11;
  const func = (reg & 0x700) >>> 8;
  if (reg & 0xff000000) ctx.fail(node, 'PCI reg address is not configuration space', prop);
  if (reg & 0xff) ctx.fail(node, 'PCI reg config space address register number must be 0', prop);
  const unit = unitName(node);
  if (func === 0 && unit === hex(dev)) return;
  const expected = `${hex(dev)},${hex(func)}`;
  if (unit === expected) return;
  ctx.fail(node, `PCI unit address format error, expected "${expected}"`);
};

const simpleBusBridge: RunFn = (ctx, node) => {
  if (nodeIsCompatible(node, 'simple-bus')) ctx.state(node).bus = 'simple-bus';
};

const simpleBusReg: RunFn = (ctx, node) => {
  const parent = onBus(ctx, node, 'simple-bus');
  if (!parent) return;
  let cells: Uint8Array | undefined;
  const reg = getProperty(node, 'reg');
  if (reg) cells = reg.value;
  else {
    const ranges = getProperty(node, 'ranges');
    if (ranges && ranges.value.length) cells = ranges.value.subarray(Math.min(ranges.value.length, 4 * ctx.addrCells(node)));
  }
  if (!cells) {
    if (ctx.parent(parent) && ctx.state(node).bus !== 'simple-bus') ctx.fail(node, 'missing or empty reg/ranges property');
    return;
  }
  let addr = 0n;
  for (let i = 0; i < ctx.addrCells(parent); i++) addr = BigInt.asUintN(64, (addr << 32n) | BigInt(cellAt(cells, i)));
  const expected = addr.toString(16);
  if (unitName(node) !== expected) ctx.fail(node, `simple-bus unit address format error, expected "${expected}"`);
};

const i2cBusBridge: RunFn = (ctx, node) => {
  const base = baseName(node);
  if (base === 'i2c-bus' || base === 'i2c-arb') ctx.state(node).bus = 'i2c-bus';
  else if (base === 'i2c') {
    // dtc compares each child's name against "i2c-bus" with the parent's base-name length, which never matches.
    ctx.state(node).bus = 'i2c-bus';
  } else return;
  if (!node.children.length) return;
  if (ctx.addrCells(node) !== 1) ctx.fail(node, 'incorrect #address-cells for I2C bus');
  if (ctx.sizeCells(node) !== 0) ctx.fail(node, 'incorrect #size-cells for I2C bus');
};

const I2C_OWN_SLAVE_ADDRESS = 1 << 30;
const I2C_TEN_BIT_ADDRESS = 2 ** 31;

const i2cBusReg: RunFn = (ctx, node) => {
  if (!onBus(ctx, node, 'i2c-bus')) return;
  const prop = getProperty(node, 'reg');
  if (!prop) {
    ctx.fail(node, 'missing or empty reg property');
    return;
  }
  const noSlave = (r: number) => (r & ~I2C_OWN_SLAVE_ADDRESS) >>> 0;
  const expected = hex(noSlave(cellAt(prop.value, 0)));
  if (unitName(node) !== expected) ctx.fail(node, `I2C bus unit address format error, expected "${expected}"`);
  for (let len = prop.value.length, i = 0; len > 0; len -= 4, i++) {
    const reg = noSlave(cellAt(prop.value, i));
    if (reg & I2C_TEN_BIT_ADDRESS && (reg & ~I2C_TEN_BIT_ADDRESS) >>> 0 > 0x3ff) {
      ctx.fail(node, `I2C address must be less than 10-bits, got "0x${hex(reg)}"`, prop);
    } else if (reg > 0x7f) {
      ctx.fail(node, `I2C address must be less than 7-bits, got "0x${hex(reg)}". Set I2C_TEN_BIT_ADDRESS for 10 bit addresses or fix the property`, prop);
    }
  }
};

const spiBusBridge: RunFn = (ctx, node) => {
  const s = ctx.state(node);
  if (baseName(node) === 'spi') s.bus = 'spi-bus';
  else {
    // An SPI bus without the name: one cell of address, none of size, a child with an spi- property.
    if (ctx.addrCells(node) !== 1 || ctx.sizeCells(node) !== 0) return;
    if (node.children.some((c) => c.properties.some((p) => p.name.startsWith('spi-')))) s.bus = 'spi-bus';
    if (s.bus === 'spi-bus' && getProperty(node, 'reg')) ctx.fail(node, "node name for SPI buses should be 'spi'");
  }
  if (s.bus !== 'spi-bus' || !node.children.length) return;
  const spiAddrCells = getProperty(node, 'spi-slave') ? 0 : 1;
  if (ctx.addrCells(node) !== spiAddrCells) ctx.fail(node, 'incorrect #address-cells for SPI bus');
  if (ctx.sizeCells(node) !== 0) ctx.fail(node, 'incorrect #size-cells for SPI bus');
};

const spiBusReg: RunFn = (ctx, node) => {
  const parent = onBus(ctx, node, 'spi-bus');
  if (!parent || getProperty(parent, 'spi-slave')) return;
  const prop = getProperty(node, 'reg');
  if (!prop) {
    ctx.fail(node, 'missing or empty reg property');
    return;
  }
  const expected = hex(cellAt(prop.value, 0));
  if (unitName(node) !== expected) ctx.fail(node, `SPI bus unit address format error, expected "${expected}"`);
};

const unitAddressFormat: RunFn = (ctx, node) => {
  const parent = ctx.parent(node);
  if (parent && ctx.state(parent).bus) return;
  let unit = unitName(node);
  if (!unit) return;
  if (unit.startsWith('0x')) {
    ctx.fail(node, 'unit name should not have leading "0x"');
    unit = unit.slice(2);
  }
  if (unit[0] === '0' && /^[0-9a-fA-F]$/.test(unit[1] ?? '')) ctx.fail(node, 'unit name should not have leading 0s');
};

const unitAddressVsReg: RunFn = (ctx, node) => {
  if (getSubnode(node, '__overlay__')) return; // overlay fragments are a special case
  let prop = getProperty(node, 'reg');
  if (!prop) {
    prop = getProperty(node, 'ranges');
    if (prop && !prop.value.length) prop = undefined;
  }
  const unit = unitName(node);
  if (prop && !unit) ctx.fail(node, 'node has a reg or ranges property, but no unit name');
  else if (!prop && unit) ctx.fail(node, 'node has a unit name, but no reg or ranges property');
};

const avoidDefaultAddrSize: RunFn = (ctx, node) => {
  const parent = ctx.parent(node);
  if (!parent) return;
  if (!getProperty(node, 'reg') && !getProperty(node, 'ranges')) return;
  if (ctx.state(parent).addrCells === -1) ctx.fail(node, 'Relying on default #address-cells value');
  if (ctx.state(parent).sizeCells === -1) ctx.fail(node, 'Relying on default #size-cells value');
};

const avoidUnnecessaryAddrSize: RunFn = (ctx, node) => {
  const s = ctx.state(node);
  if (!ctx.parent(node) || s.addrCells < 0 || s.sizeCells < 0) return;
  if (getProperty(node, 'ranges') || !node.children.length) return;
  if (!node.children.some((c) => getProperty(c, 'reg'))) {
    ctx.fail(node, 'unnecessary #address-cells/#size-cells without "ranges" or child "reg" property');
  }
};

function isDisabled(node: DtNode): boolean {
  const status = getProperty(node, 'status');
  return status !== undefined && cString(status.value) === 'disabled';
}

function uniqueUnitAddress(skipDisabled: boolean): RunFn {
  return (ctx, node) => {
    const s = ctx.state(node);
    if (s.addrCells < 0 || s.sizeCells < 0) return;
    node.children.forEach((a, i) => {
      const addrA = unitName(a);
      if (!addrA || (skipDisabled && isDisabled(a))) return;
      for (const b of node.children.slice(0, i)) {
        if (skipDisabled && isDisabled(b)) continue;
        if (unitName(b) === addrA) ctx.fail(b, `duplicate unit-address (also used in node ${ctx.path(a)})`);
      }
    });
  };
}

const obsoleteChosenInterruptController: RunFn = (ctx, node) => {
  if (node !== ctx.root) return;
  const chosen = getNodeByPath(node, '/chosen');
  const prop = chosen && getProperty(chosen, 'interrupt-controller');
  if (prop) ctx.fail(node, '/chosen has obsolete "interrupt-controller" property', prop);
};

const chosenNodeIsRoot: RunFn = (ctx, node) => {
  if (node.name === 'chosen' && ctx.parent(node) !== ctx.root) ctx.fail(node, 'chosen node must be at root node');
};

const chosenNodeBootargs: RunFn = (ctx, node) => {
  if (node.name === 'chosen') isString('bootargs')(ctx, node);
};

const chosenNodeStdoutPath: RunFn = (ctx, node) => {
  if (node.name !== 'chosen') return;
  let prop = getProperty(node, 'stdout-path');
  if (!prop) {
    prop = getProperty(node, 'linux,stdout-path');
    if (!prop) return;
    ctx.fail(node, "Use 'stdout-path' instead", prop);
  }
  isString(prop.name)(ctx, node);
};

interface Provider {
  cellName: string;
  optional?: boolean;
}

function phandleArgs(ctx: Run, node: DtNode, prop: DtProperty, provider: Provider): void {
  const len = prop.value.length;
  if (!isMultipleOf(len, 4)) {
    ctx.fail(node, `property size (${len}) is invalid, expected multiple of 4`, prop);
    return;
  }
  let cellsize = 0;
  for (let cell = 0; cell < len / 4; cell += cellsize + 1) {
    const phandle = cellAt(prop.value, cell);
    if (phandle === 0 || phandle === 0xffffffff) {
      // 0 and -1 skip optional entries; an overlay's may be external references.
      if (ctx.plugin) break;
      cellsize = 0;
      continue;
    }
    if (prop.markers.length && !prop.markers.some((m) => m.type === 'phandle-ref' && m.offset === cell * 4)) {
      ctx.fail(node, `cell ${cell} is not a phandle reference`, prop);
    }
    const providerNode = getNodeByPhandle(ctx.root, phandle);
    if (!providerNode) {
      ctx.fail(node, `Could not get phandle node for (cell ${cell})`, prop);
      break;
    }
    const cellProp = getProperty(providerNode, provider.cellName);
    if (cellProp) cellsize = int32(cellAt(cellProp.value, 0));
    else if (provider.optional) cellsize = 0;
    else {
      ctx.fail(node, `Missing property '${provider.cellName}' in node ${ctx.path(providerNode)} or bad phandle (referred from ${prop.name}[${cell}])`);
      break;
    }
    // dtc computes the needed size in size_t arithmetic.
    const needed = BigInt.asUintN(64, BigInt(cell + cellsize + 1) * 4n);
    if (BigInt(len) < needed) ctx.fail(node, `property size (${len}) too small for cell size ${cellsize}`, prop);
    // dtc loops for ever on a negative #...-cells of -1 or less; stop instead.
    if (cellsize + 1 <= 0) break;
  }
}

function providerCells(propName: string, cellName: string, optional = false): RunFn {
  return (ctx, node) => {
    const prop = getProperty(node, propName);
    if (prop) phandleArgs(ctx, node, prop, { cellName, optional });
  };
}

function isGpio(prop: DtProperty): boolean {
  const n = prop.name;
  if (n.endsWith(',nr-gpios')) return false;
  return n.endsWith('-gpios') || n === 'gpios' || n.endsWith('-gpio') || n === 'gpio';
}

const gpiosProperty: RunFn = (ctx, node) => {
  if (getProperty(node, 'gpio-hog')) return;
  for (const prop of node.properties) if (isGpio(prop)) phandleArgs(ctx, node, prop, { cellName: '#gpio-cells' });
};

const deprecatedGpioProperty: RunFn = (ctx, node) => {
  for (const prop of node.properties) {
    if (isGpio(prop) && prop.name.endsWith('gpio')) ctx.fail(node, "'[*-]gpio' is deprecated, use '[*-]gpios' instead", prop);
  }
};

function isInterruptProvider(node: DtNode): boolean {
  return getProperty(node, 'interrupt-controller') !== undefined || getProperty(node, 'interrupt-map') !== undefined;
}

const interruptProvider: RunFn = (ctx, node) => {
  if (!isInterruptProvider(node)) return;
  if (!getProperty(node, '#interrupt-cells')) ctx.fail(node, 'Missing #interrupt-cells in interrupt provider');
  if (!getProperty(node, '#address-cells')) ctx.fail(node, 'Missing #address-cells in interrupt provider');
};

const interruptsProperty: RunFn = (ctx, node) => {
  const irqProp = getProperty(node, 'interrupts');
  if (!irqProp) return;
  const len = irqProp.value.length;
  if (!isMultipleOf(len, 4)) ctx.fail(node, `size (${len}) is invalid, expected multiple of 4`, irqProp);
  let irqNode: DtNode | undefined;
  let parent: DtNode | undefined = node;
  let prop: DtProperty | undefined;
  while (parent && !prop) {
    if (parent !== node && isInterruptProvider(parent)) {
      irqNode = parent;
      break;
    }
    prop = getProperty(parent, 'interrupt-parent');
    if (prop) {
      const phandle = cellAt(prop.value, 0);
      if (phandle === 0 || phandle === 0xffffffff) {
        if (ctx.plugin) return;
        ctx.fail(parent, 'Invalid phandle', prop);
        continue;
      }
      irqNode = getNodeByPhandle(ctx.root, phandle);
      if (!irqNode) {
        ctx.fail(parent, 'Bad phandle', prop);
        return;
      }
      if (!isInterruptProvider(irqNode)) ctx.fail(irqNode, 'Missing interrupt-controller or interrupt-map property');
      break;
    }
    parent = ctx.parent(parent);
  }
  if (!irqNode) {
    ctx.fail(node, 'Missing interrupt-parent');
    return;
  }
  const cellsProp = getProperty(irqNode, '#interrupt-cells');
  if (!cellsProp) return; // warned about by interrupt_provider
  const irqCells = int32(cellAt(cellsProp.value, 0));
  if (!isMultipleOf(len, irqCells * 4)) ctx.fail(node, `size is (${len}), expected multiple of ${irqCells * 4}`, cellsProp);
};

const graphNodes: RunFn = (ctx, node) => {
  for (const child of node.children) {
    if (!(baseName(child) === 'endpoint' || getProperty(child, 'remote-endpoint'))) continue;
    ctx.state(node).bus = 'graph-port';
    // The parent of 'port' nodes is either 'ports' or a device.
    const parent = ctx.parent(node);
    if (parent && !ctx.state(parent).bus && (parent.name === 'ports' || getProperty(node, 'reg'))) ctx.state(parent).bus = 'graph-ports';
    break;
  }
};

const graphChildAddress: RunFn = (ctx, node) => {
  const s = ctx.state(node);
  if (s.bus !== 'graph-ports' && s.bus !== 'graph-port') return;
  let count = 0;
  for (const child of node.children) {
    const reg = getProperty(child, 'reg');
    if (reg && cellAt(reg.value, 0) !== 0) return; // a non-zero unit address needs the cells
    count++;
  }
  if (count === 1 && s.addrCells !== -1) {
    ctx.fail(node, `graph node has single child node '${node.children[0]!.name}', #address-cells/#size-cells are not necessary`);
  }
};

function graphReg(ctx: Run, node: DtNode): void {
  const prop = getProperty(node, 'reg');
  if (!prop) return;
  if (prop.value.length !== 4) {
    ctx.fail(node, "graph node malformed 'reg' property");
    return;
  }
  const expected = hex(cellAt(prop.value, 0));
  if (unitName(node) !== expected) ctx.fail(node, `graph node unit address error, expected "${expected}"`);
  const parent = ctx.state(ctx.parent(node)!);
  if (parent.addrCells !== 1) ctx.fail(node, `graph node '#address-cells' is ${parent.addrCells}, must be 1`, getProperty(node, '#address-cells'));
  if (parent.sizeCells !== 0) ctx.fail(node, `graph node '#size-cells' is ${parent.sizeCells}, must be 0`, getProperty(node, '#size-cells'));
}

const graphPort: RunFn = (ctx, node) => {
  if (ctx.state(node).bus !== 'graph-port') return;
  if (baseName(node) !== 'port') ctx.fail(node, "graph port node name should be 'port'");
  graphReg(ctx, node);
};

function remoteEndpoint(ctx: Run, endpoint: DtNode): DtNode | undefined {
  const prop = getProperty(endpoint, 'remote-endpoint');
  if (!prop) return undefined;
  const phandle = cellAt(prop.value, 0);
  if (phandle === 0 || phandle === 0xffffffff) return undefined; // an overlay's external reference
  const node = getNodeByPhandle(ctx.root, phandle);
  if (!node) ctx.fail(endpoint, 'graph phandle is not valid', prop);
  return node;
}

const graphEndpoint: RunFn = (ctx, node) => {
  if (!onBus(ctx, node, 'graph-port')) return;
  if (baseName(node) !== 'endpoint') ctx.fail(node, "graph endpoint node name should be 'endpoint'");
  graphReg(ctx, node);
  const remote = remoteEndpoint(ctx, node);
  if (remote && remoteEndpoint(ctx, remote) !== node) ctx.fail(node, `graph connection to node '${ctx.path(remote)}' is not bidirectional`);
};

const W = (name: string, fn: RunFn | undefined, ...prereqs: string[]): CheckDef => ({ name, fn, warn: true, error: false, prereqs });
const E = (name: string, fn: RunFn | undefined, ...prereqs: string[]): CheckDef => ({ name, fn, warn: false, error: true, prereqs });
const C = (name: string, fn: RunFn | undefined, ...prereqs: string[]): CheckDef => ({ name, fn, warn: false, error: false, prereqs });

/** The providers whose `#...-cells` say how many arguments follow each phandle (dtc's WARNING_PROPERTY_PHANDLE_CELLS). */
const PROVIDERS: [string, string, string, boolean?][] = [
  ['clocks', 'clocks', '#clock-cells'],
  ['cooling_device', 'cooling-device', '#cooling-cells'],
  ['dmas', 'dmas', '#dma-cells'],
  ['hwlocks', 'hwlocks', '#hwlock-cells'],
  ['interrupts_extended', 'interrupts-extended', '#interrupt-cells'],
  ['io_channels', 'io-channels', '#io-channel-cells'],
  ['iommus', 'iommus', '#iommu-cells'],
  ['mboxes', 'mboxes', '#mbox-cells'],
  ['msi_parent', 'msi-parent', '#msi-cells', true],
  ['mux_controls', 'mux-controls', '#mux-control-cells'],
  ['phys', 'phys', '#phy-cells'],
  ['power_domains', 'power-domains', '#power-domain-cells'],
  ['pwms', 'pwms', '#pwm-cells'],
  ['resets', 'resets', '#reset-cells'],
  ['sound_dai', 'sound-dai', '#sound-dai-cells'],
  ['thermal_sensors', 'thermal-sensors', '#thermal-sensor-cells'],
];

/** dtc 1.6.1's check_table, in its order, with each check's default level and prerequisites. */
function checkTable(fixups: Partial<Record<FixupName, CheckFunction>>): CheckDef[] {
  return [
    E('duplicate_node_names', (ctx, node) => {
      node.children.forEach((a, i) => {
        for (const b of node.children.slice(i + 1)) if (a.name === b.name) ctx.fail(b, 'Duplicate node name');
      });
    }),
    E('duplicate_property_names', (ctx, node) => {
      node.properties.forEach((a, i) => {
        for (const b of node.properties.slice(i + 1)) if (a.name === b.name) ctx.fail(node, 'Duplicate property name', a);
      });
    }),
    E('node_name_chars', (ctx, node) => {
      const n = span(node.name, NODECHARS);
      if (n < node.name.length) ctx.fail(node, `Bad character '${node.name[n]}' in node name`);
    }),
    E('node_name_format', (ctx, node) => {
      if (unitName(node).includes('@')) ctx.fail(node, "multiple '@' characters in node name");
    }, 'node_name_chars'),
    E('property_name_chars', (ctx, node) => {
      for (const prop of node.properties) {
        const n = span(prop.name, PROPCHARS);
        if (n < prop.name.length) ctx.fail(node, `Bad character '${prop.name[n]}' in property name`, prop);
      }
    }),
    E('name_is_string', isString('name')),
    E('name_properties', nameProperties, 'name_is_string'),
    W('node_name_vs_property_name', (ctx, node) => {
      const parent = ctx.parent(node);
      if (parent && getProperty(parent, node.name)) ctx.fail(node, 'node name and property name conflict');
    }, 'node_name_chars'),
    E('duplicate_label', duplicateLabel),
    E('explicit_phandles', explicitPhandles),
    E('phandle_references', fixups.phandle_references, 'duplicate_node_names', 'explicit_phandles'),
    E('path_references', fixups.path_references, 'duplicate_node_names'),
    E('omit_unused_nodes', fixups.omit_unused_nodes, 'phandle_references', 'path_references'),
    W('address_cells_is_cell', isCell('#address-cells')),
    W('size_cells_is_cell', isCell('#size-cells')),
    W('device_type_is_string', isString('device_type')),
    W('model_is_string', isString('model')),
    W('status_is_string', isString('status')),
    W('label_is_string', isString('label')),
    W('compatible_is_string_list', isStringList('compatible')),
    W('names_is_string_list', (ctx, node) => {
      for (const prop of node.properties) if (prop.name.endsWith('-names')) checkStringList(ctx, node, prop);
    }),
    C('property_name_chars_strict', (ctx, node) => {
      for (const prop of node.properties) {
        let name = prop.name;
        let n = span(name, STRICTCHARS);
        if (n === name.length || name === 'device_type') continue;
        // '#' is allowed at the start of a name, after a vendor prefix.
        if (name[n] === '#' && (n === 0 || name[n - 1] === ',')) {
          name = name.slice(n + 1);
          n = span(name, STRICTCHARS);
        }
        if (n < name.length) ctx.fail(node, `Character '${name[n]}' not recommended in property name`, prop);
      }
    }),
    C('node_name_chars_strict', (ctx, node) => {
      const n = span(node.name, STRICTCHARS);
      if (n < baseName(node).length) ctx.fail(node, `Character '${node.name[n]}' not recommended in node name`);
    }),
    W('addr_size_cells', addrSizeCells, 'address_cells_is_cell', 'size_cells_is_cell'),
    W('reg_format', regFormat, 'addr_size_cells'),
    W('ranges_format', rangesFormat('ranges'), 'addr_size_cells'),
    W('dma_ranges_format', rangesFormat('dma-ranges'), 'addr_size_cells'),
    W('unit_address_vs_reg', unitAddressVsReg),
    W('unit_address_format', unitAddressFormat, 'node_name_format', 'pci_bridge', 'simple_bus_bridge'),
    W('pci_bridge', pciBridge, 'device_type_is_string', 'addr_size_cells'),
    W('pci_device_reg', pciDeviceReg, 'reg_format', 'pci_bridge'),
    W('pci_device_bus_num', pciDeviceBusNum, 'reg_format', 'pci_bridge'),
    W('simple_bus_bridge', simpleBusBridge, 'addr_size_cells', 'compatible_is_string_list'),
    W('simple_bus_reg', simpleBusReg, 'reg_format', 'simple_bus_bridge'),
    W('i2c_bus_bridge', i2cBusBridge, 'addr_size_cells'),
    W('i2c_bus_reg', i2cBusReg, 'reg_format', 'i2c_bus_bridge'),
    W('spi_bus_bridge', spiBusBridge, 'addr_size_cells'),
    W('spi_bus_reg', spiBusReg, 'reg_format', 'spi_bus_bridge'),
    W('avoid_default_addr_size', avoidDefaultAddrSize, 'addr_size_cells'),
    W('avoid_unnecessary_addr_size', avoidUnnecessaryAddrSize, 'avoid_default_addr_size'),
    W('unique_unit_address', uniqueUnitAddress(false), 'avoid_default_addr_size'),
    C('unique_unit_address_if_enabled', uniqueUnitAddress(true), 'avoid_default_addr_size'),
    W('obsolete_chosen_interrupt_controller', obsoleteChosenInterruptController),
    W('chosen_node_is_root', chosenNodeIsRoot),
    W('chosen_node_bootargs', chosenNodeBootargs),
    W('chosen_node_stdout_path', chosenNodeStdoutPath),
    ...PROVIDERS.flatMap(([name, prop, cells, optional]) => [
      W(`${name}_property`, providerCells(prop, cells, optional), `${name}_is_cell`, 'phandle_references'),
      W(`${name}_is_cell`, isCell(cells)),
    ]),
    C('deprecated_gpio_property', deprecatedGpioProperty),
    W('gpios_property', gpiosProperty, 'phandle_references'),
    W('interrupts_property', interruptsProperty),
    W('interrupt_provider', interruptProvider),
    W('alias_paths', aliasPaths),
    W('graph_nodes', graphNodes),
    W('graph_child_address', graphChildAddress, 'graph_nodes'),
    W('graph_port', graphPort, 'graph_nodes'),
    W('graph_endpoint', graphEndpoint, 'graph_nodes'),
    C('always_fail', (ctx, node) => ctx.fail(node, 'always_fail check')),
  ];
}

/** The names `-W`/`-E` accept, in dtc's table order. */
export const CHECK_NAMES: readonly string[] = checkTable({}).map((c) => c.name);

function applySwitches(table: CheckDef[], switches: readonly CheckSwitch[]): void {
  const byName = new Map(table.map((c) => [c.name, c]));
  const raise = (c: CheckDef, warn: boolean, error: boolean): void => {
    if ((warn && !c.warn) || (error && !c.error)) for (const p of c.prereqs) raise(byName.get(p)!, warn, error);
    c.warn ||= warn;
    c.error ||= error;
  };
  const lower = (c: CheckDef, warn: boolean, error: boolean): void => {
    if ((warn && c.warn) || (error && c.error)) for (const d of table) if (d.prereqs.includes(c.name)) lower(d, warn, error);
    c.warn &&= !warn;
    c.error &&= !error;
  };
  for (const s of switches) {
    const off = s.name.startsWith('no-') || s.name.startsWith('no_');
    const name = off ? s.name.slice(3) : s.name;
    const c = byName.get(name);
    if (!c) {
      throw new UimgError('UNKNOWN_NAME', `Unrecognized check name "${name}"`, { field: `-${s.kind}`, actual: name },
        `the checks are dtc's: ${CHECK_NAMES.slice(0, 4).join(', ')}, ...`);
    }
    if (off) lower(c, s.kind === 'W', s.kind === 'E');
    else raise(c, s.kind === 'W', s.kind === 'E');
  }
}

/** Validate `-W`/`-E` switches early, as dtc does while reading its options (throws UNKNOWN_NAME). */
export function checkSwitches(switches: readonly CheckSwitch[]): void {
  applySwitches(checkTable({}), switches);
}

/** dtc's srcpos_string: `file:line.col`, `file:line.col-col` or `file:line.col-line.col`. */
export function formatPosition(pos: SourcePosition): string {
  const file = pos.file || '<no-file>';
  if (pos.firstLine !== pos.lastLine) return `${file}:${pos.firstLine}.${pos.firstColumn}-${pos.lastLine}.${pos.lastColumn}`;
  if (pos.firstColumn !== pos.lastColumn) return `${file}:${pos.firstLine}.${pos.firstColumn}-${pos.lastColumn}`;
  return `${file}:${pos.firstLine}.${pos.firstColumn}`;
}

type Status = 'unchecked' | 'prereq' | 'passed' | 'failed';

/**
 * Run dtc's checks over a tree, as dtc does after parsing (or reading a blob): each enabled check in table order
 * with its prerequisites first; once an error check has failed, no further check runs (dtc's short circuit).
 * Messages come in dtc's order and wording; `abort` says dtc would stop with exit 2.
 */
export function runChecks(tree: DeviceTree, options: CheckOptions = {}): CheckReport {
  const table = checkTable(options.fixups ?? {});
  applySwitches(table, options.switches ?? []);
  const byName = new Map(table.map((c) => [c.name, c]));
  const quiet = options.quiet ?? 0;
  const outName = options.outName ?? '-';
  const messages: CheckMessage[] = [];
  const states = new Map<DtNode, NodeState>();
  const index = (node: DtNode, parent: DtNode | undefined, path: string): void => {
    const old = states.get(node);
    states.set(node, { addrCells: 0, sizeCells: 0, ...old, parent, path });
    for (const c of node.children) index(c, node, joinPath(path, c.name));
  };
  const stateOf = (node: DtNode): NodeState => {
    let s = states.get(node);
    if (!s) {
      index(tree.root, undefined, '/');
      s = states.get(node);
      if (!s) throw new UimgError('INTERNAL', `check on node ${node.name}, which is not in the tree`);
    }
    return s;
  };
  let running: CheckDef | undefined;
  const status = new Map<string, Status>();
  const report = (c: CheckDef, node: DtNode | undefined, message: string, prop?: DtProperty): void => {
    if (!((c.warn && quiet < 1) || (c.error && quiet < 2))) return;
    const pos = prop?.pos ?? node?.pos;
    const level = c.error ? 'ERROR' : 'Warning';
    const where = pos ? formatPosition(pos) : outName === '-' ? '<stdout>' : outName;
    const path = node ? stateOf(node).path : undefined;
    const about = node ? (prop ? `${path}:${prop.name}: ` : `${path}: `) : '';
    let text = `${where}: ${level} (${c.name}): ${about}${message}\n`;
    if (!prop && pos && node) for (const also of node.alsoAt ?? []) text += `  also defined at ${formatPosition(also)}\n`;
    messages.push({ check: c.name, level, ...(path !== undefined ? { path } : {}), ...(prop ? { property: prop.name } : {}), message, ...(pos ? { pos } : {}), text });
  };
  const run: Run = {
    tree,
    root: tree.root,
    plugin: options.plugin ?? tree.plugin,
    state: stateOf,
    addrCells: (n) => (stateOf(n).addrCells === -1 ? 2 : stateOf(n).addrCells),
    sizeCells: (n) => (stateOf(n).sizeCells === -1 ? 1 : stateOf(n).sizeCells),
    path: (n) => stateOf(n).path,
    parent: (n) => stateOf(n).parent,
    fail(node, message, prop) {
      if (!running) throw new UimgError('INTERNAL', 'a check failed outside a check run');
      status.set(running.name, 'failed');
      report(running, node, message, prop);
    },
  };
  const visit = (c: CheckDef, node: DtNode): void => {
    c.fn!(run, node);
    for (const child of [...node.children]) {
      // A fixup may drop nodes (omit_unused_nodes): skip what is gone.
      if (node.children.includes(child)) visit(c, child);
    }
  };
  const runCheck = (c: CheckDef): boolean => {
    let error = false;
    if (!status.has(c.name)) {
      for (const p of c.prereqs) {
        const prq = byName.get(p)!;
        error = error || runCheck(prq);
        if (status.get(p) !== 'passed') {
          status.set(c.name, 'prereq');
          report(c, undefined, `Failed prerequisite '${p}'`);
        }
      }
      if (!status.has(c.name)) {
        status.set(c.name, 'unchecked');
        if (c.fn) {
          const outer = running;
          running = c;
          visit(c, tree.root);
          running = outer;
        }
        if (status.get(c.name) === 'unchecked') status.set(c.name, 'passed');
      }
    }
    return error || (status.get(c.name) !== 'passed' && c.error);
  };

    index(tree.root, undefined, '/');
    // Phandles are learnt by explicit_phandles and assigned by the fixups, as in dtc.
    const clear = (n: DtNode): void => {
      n.phandle = 0;
      n.children.forEach(clear);
    };
    clear(tree.root);
    let failed = false;
    for (const c of table) if (c.warn || c.error) failed = failed || runCheck(c);
    const abort = failed && !options.force;
    const summary = !failed ? undefined
      : abort ? 'ERROR: Input tree has errors, aborting (use -f to force output)'
      : quiet < 3 ? 'Warning: Input tree has errors, output forced' : undefined;
    return { messages, failed, abort, ...(summary ? { summary } : {}) };
}
