/**
 * Reading a board layout from JSON or YAML text (YAML 1.2 is a superset of JSON, so one parser serves both) into a
 * BoardLayout, with every mistake reported as `file:line:col: path: expected ..., found ...`. Only the structure is
 * validated here; whether the layout is sound (alignment, overlaps, fit) is for checkLayout, which reports findings.
 */
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import { UimgError, clip } from '../errors.js';
import {
  FLASH_KINDS, IMAGE_ROLES, LOADER_KINDS, RAM_ROLES, isBlockDevice,
  type BoardLayout, type FlashKind, type FlashSpec, type ImagePlacement, type ImageRole, type Partition, type SourcePosition,
} from './model.js';
import { isPowerOfTwo, parseByteCount } from '../numbers.js';

type Path = (string | number)[];

const pathText = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** Characters that would break `mtdparts=` (the partition list Linux and U-Boot read). */
const MTDPARTS_SPECIAL = /[,;:()@\s]/;

class Reader {
  readonly locations = new Map<string, SourcePosition>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  position(path: Path): SourcePosition | undefined {
    const node = this.doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** `choices`: the names the value could have been, in the error's data (the CLI says which one is closest). */
  fail(path: Path, expected: string, actual: unknown, hint?: string, choices?: readonly string[]): never {
    const at = this.position(path) ?? (path.length ? this.position(path.slice(0, -1)) : undefined);
    const where = at ? `${this.file}:${at.line}:${at.column}` : this.file;
    const field = pathText(path) || '(top level)';
    const found = actual === undefined ? 'nothing' : clip(JSON.stringify(actual) ?? String(actual));
    throw new UimgError('BAD_LAYOUT', `${where}: ${field}: expected ${expected}, found ${found}`,
      { file: this.file, field, expected, actual: found, ...(at ? { line: at.line, column: at.column } : {}), ...(choices ? { choices } : {}) }, hint);
  }

  /** Record where a field is, so findings about it can point there too. */
  note(path: Path): void {
    const at = this.position(path);
    if (at) this.locations.set(pathText(path), at);
  }

  object(value: unknown, path: Path, allowed: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) this.fail([...path, key], `one of the fields ${allowed.join(', ')}`, key, 'check the spelling', allowed);
    }
    return record;
  }

  bytes(record: Record<string, unknown>, key: string, path: Path, what: string): number;
  bytes(record: Record<string, unknown>, key: string, path: Path, what: string, optional: true): number | undefined;
  bytes(record: Record<string, unknown>, key: string, path: Path, what: string, optional = false): number | undefined {
    const value = record[key];
    if (value === undefined && optional) return undefined;
    const n = parseByteCount(value);
    if (n === undefined) {
      this.fail([...path, key], `${what}: a whole number of bytes (4096, 0x1000, 4KiB)`, value,
        'write numbers as decimal, 0x hex, or with a K/M/G (KiB/MiB/GiB) suffix');
    }
    this.note([...path, key]);
    return n;
  }

  string(record: Record<string, unknown>, key: string, path: Path, optional: true): string | undefined;
  string(record: Record<string, unknown>, key: string, path: Path): string;
  string(record: Record<string, unknown>, key: string, path: Path, optional = false): string | undefined {
    const value = record[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string') this.fail([...path, key], 'a string', value);
    this.note([...path, key]);
    return value;
  }

  choice<T extends string>(record: Record<string, unknown>, key: string, path: Path, choices: readonly T[], optional: true): T | undefined;
  choice<T extends string>(record: Record<string, unknown>, key: string, path: Path, choices: readonly T[]): T;
  choice<T extends string>(record: Record<string, unknown>, key: string, path: Path, choices: readonly T[], optional = false): T | undefined {
    const value = record[key];
    if (value === undefined && optional) return undefined;
    if (!choices.includes(value as T)) this.fail([...path, key], `one of ${choices.join(', ')}`, value, undefined, choices);
    this.note([...path, key]);
    return value as T;
  }
}

/** Top-level fields; `$schema` and `description` are accepted and ignored, for editors and people. */
const TOP_FIELDS = ['$schema', 'description', 'board', 'ram', 'flash', 'partitions', 'images', 'loader', 'cmdline'] as const;

export function parseLayout(text: string, file = 'layout'): BoardLayout {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    const what = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UimgError('BAD_LAYOUT', `${file}:${at.line}:${at.col}: ${what}`,
      { file, field: 'syntax', line: at.line, column: at.col }, 'the layout is JSON (or YAML)');
  }
  const r = new Reader(doc, lines, file);
  const root = r.object(doc.toJS({ maxAliasCount: 0 }), [], TOP_FIELDS);

  const ramRecord = r.object(root.ram, ['ram'], ['base', 'size']);
  const ram = { base: r.bytes(ramRecord, 'base', ['ram'], 'RAM base address'), size: r.bytes(ramRecord, 'size', ['ram'], 'RAM size') };
  if (ram.size === 0) r.fail(['ram', 'size'], 'a RAM size above 0', ramRecord.size);

  const flash = readFlash(r, root.flash);
  const partitions = readPartitions(r, root.partitions, flash);
  const images = readImages(r, root.images, partitions);
  const loader = r.choice(root, 'loader', [], LOADER_KINDS, true);
  const cmdline = r.string(root, 'cmdline', [], true);
  if (cmdline !== undefined && /[\n\r\0]/.test(cmdline)) r.fail(['cmdline'], 'one line, without line breaks or NUL', cmdline);
  const board = r.string(root, 'board', [], true);
  return {
    ...(board !== undefined ? { board } : {}), ram, flash, partitions, images,
    ...(loader ? { loader } : {}), ...(cmdline !== undefined ? { cmdline } : {}),
    locations: r.locations, file,
  };
}

const FLASH_FIELDS = ['kind', 'size', 'pageSize', 'eraseBlockSize', 'erasedByte', 'mtdId', 'mapBase', 'device'] as const;

function readFlash(r: Reader, value: unknown): FlashSpec {
  const path = ['flash'];
  const f = r.object(value, path, FLASH_FIELDS);
  const kind: FlashKind = r.choice(f, 'kind', path, FLASH_KINDS);
  const size = r.bytes(f, 'size', path, 'flash size');
  if (size === 0) r.fail([...path, 'size'], 'a flash size above 0', f.size);
  const block = isBlockDevice(kind);
  const needsGeometry = kind === 'nand' ? ['pageSize', 'eraseBlockSize'] : block ? [] : ['eraseBlockSize'];
  for (const key of needsGeometry) {
    if (f[key] === undefined) {
      r.fail([...path, key], `the ${key === 'pageSize' ? 'page size' : kind === 'nand' ? 'erase block size' : 'sector (erase) size'} of ${kind} flash`, undefined,
        'see the flash data sheet (or /sys/class/mtd/mtdN/writesize and erasesize on a running board)');
    }
  }
  const pageSize = r.bytes(f, 'pageSize', path, 'page size', true) ?? (block ? 512 : 1);
  const eraseBlockSize = r.bytes(f, 'eraseBlockSize', path, 'erase block size', true) ?? pageSize;
  for (const [key, n] of [['pageSize', pageSize], ['eraseBlockSize', eraseBlockSize]] as const) {
    if (!isPowerOfTwo(n)) r.fail([...path, key], 'a power of two', f[key]);
  }
  if (eraseBlockSize % pageSize !== 0) {
    r.fail([...path, 'eraseBlockSize'], `a multiple of the page size (${pageSize})`, f.eraseBlockSize);
  }
  const erasedByte = r.bytes(f, 'erasedByte', path, 'erased byte value', true) ?? 0xff;
  if (erasedByte > 0xff) r.fail([...path, 'erasedByte'], 'a byte value, 0 to 255', f.erasedByte);
  const mtdId = r.string(f, 'mtdId', path, true);
  if (mtdId !== undefined && (mtdId === '' || MTDPARTS_SPECIAL.test(mtdId))) {
    r.fail([...path, 'mtdId'], 'an MTD device name without spaces or any of , ; : ( ) @', mtdId);
  }
  const mapBase = r.bytes(f, 'mapBase', path, 'CPU address of the flash', true);
  const device = r.bytes(f, 'device', path, 'U-Boot device number', true);
  return {
    kind, size, pageSize, eraseBlockSize, erasedByte,
    ...(mtdId !== undefined ? { mtdId } : {}), ...(mapBase !== undefined ? { mapBase } : {}), ...(device !== undefined ? { device } : {}),
  };
}

/** `size: "rest"` (or "-", as in mtdparts) runs to the end of the flash; an absent offset follows the previous partition. */
function readPartitions(r: Reader, value: unknown, flash: FlashSpec): Partition[] {
  if (!Array.isArray(value) || value.length === 0) r.fail(['partitions'], 'a list of partitions', value);
  const out: Partition[] = [];
  value.forEach((item, i) => {
    const path = ['partitions', i];
    const p = r.object(item, path, ['name', 'offset', 'size', 'readOnly']);
    const name = r.string(p, 'name', path);
    if (name === '' || MTDPARTS_SPECIAL.test(name)) r.fail([...path, 'name'], 'a name without spaces or any of , ; : ( ) @', name);
    if (out.some((o) => o.name === name)) r.fail([...path, 'name'], 'a name not used by another partition', name);
    const previousEnd = out.length ? out[out.length - 1]!.offset + out[out.length - 1]!.size : 0;
    const offset = r.bytes(p, 'offset', path, 'partition offset', true) ?? previousEnd;
    let size: number;
    if (p.size === 'rest' || p.size === '-') {
      if (i !== value.length - 1) r.fail([...path, 'size'], 'a size ("rest" is for the last partition only)', p.size);
      if (offset >= flash.size) r.fail([...path, 'offset'], `an offset inside the flash (below ${flash.size}) for a "rest" partition`, p.offset ?? offset);
      size = flash.size - offset;
      r.note([...path, 'size']);
    } else {
      size = r.bytes(p, 'size', path, 'partition size ("rest" for the remainder of the flash)');
      if (size === 0) r.fail([...path, 'size'], 'a partition size above 0', p.size);
    }
    if (p.readOnly !== undefined && typeof p.readOnly !== 'boolean') r.fail([...path, 'readOnly'], 'true or false', p.readOnly);
    r.note(path);
    out.push({ name, offset, size, readOnly: p.readOnly === true });
  });
  return out;
}

function readImages(r: Reader, value: unknown, partitions: Partition[]): Partial<Record<ImageRole, ImagePlacement>> {
  if (value === undefined) return {};
  const images = r.object(value, ['images'], IMAGE_ROLES);
  const out: Partial<Record<ImageRole, ImagePlacement>> = {};
  const holder = new Map<string, ImageRole>();
  for (const role of IMAGE_ROLES) {
    if (images[role] === undefined) continue;
    const path = ['images', role];
    const im = r.object(images[role], path, ['file', 'partition', 'ramAddress']);
    const file = r.string(im, 'file', path, true);
    const partition = r.string(im, 'partition', path);
    if (!partitions.some((p) => p.name === partition)) {
      r.fail([...path, 'partition'], `the name of a partition (${partitions.map((p) => p.name).join(', ')})`, partition);
    }
    if (holder.has(partition)) r.fail([...path, 'partition'], `a partition not already holding the ${holder.get(partition)}`, partition);
    holder.set(partition, role);
    const ramAddress = r.bytes(im, 'ramAddress', path, 'RAM address', true);
    if (ramAddress !== undefined && !RAM_ROLES.includes(role)) {
      r.fail([...path, 'ramAddress'], `no ramAddress: the loader does not copy the ${role} into RAM`, im.ramAddress);
    }
    r.note(path);
    out[role] = { role, ...(file !== undefined ? { file } : {}), partition, ...(ramAddress !== undefined ? { ramAddress } : {}) };
  }
  return out;
}
