/**
 * `mkimage -f auto` (fit.md §2): the FIT tree mkimage's fit_build_fdt writes with libfdt's sequential writer, image
 * data referenced from its sources rather than copied. Timestamps and hash values come later (steps.ts).
 */
import type { ByteSource } from '../../bytes/source.js';
import { ARCH, COMP, IH_COMP, OS, TYPE, IH_TYPE, longNameForId, shortNameForId } from '../uimage/tables.js';
import { Rope } from './rope.js';
import { SequentialWriter } from './seqwrite.js';

export interface AutoFitInput {
  /** A file name for descriptions (-b) and the data. */
  path: string;
  source: ByteSource;
}

export interface AutoFitSpec {
  arch: number;
  os: number;
  type: number;
  comp: number;
  load: number;
  entry: number;
  /** -n: the main image's description. */
  name: string;
  data: AutoFitInput;
  /** -b, in command-line order. */
  dtbs: readonly AutoFitInput[];
  /** -i */
  ramdisk?: AutoFitInput;
  /** -g: images get a signature node with this key name instead of a crc32 hash node. */
  keyNameHint?: string;
  /** -o (required with -g). */
  algo?: string;
}

/** U-Boot's get_basename: after the last '/', cut at the last '.' of the whole path, at most 99 characters. */
export function autoFitBasename(path: string): string {
  const slash = path.lastIndexOf('/');
  const start = slash + 1;
  const dot = path.lastIndexOf('.');
  const end = dot >= 0 ? dot : path.length;
  return path.slice(start, Math.max(start, end)).slice(0, 99);
}

const short = (table: Parameters<typeof shortNameForId>[0], id: number) => shortNameForId(table, id) ?? 'unknown';
const clip99 = (s: string) => s.slice(0, 99);

/** The packed FIT blob (size B) for an auto FIT. `algo` must be set when `keyNameHint` is (the caller checks). */
export function buildAutoFit(spec: AutoFitSpec): Rope {
  const w = new SequentialWriter();
  const source = (s: ByteSource) => Rope.of({ kind: 'source', source: s, offset: 0, length: s.size });
  const hashNode = () => {
    if (spec.keyNameHint !== undefined) {
      w.beginNode('signature-1');
      w.propertyString('algo', spec.algo ?? '');
      w.propertyString('key-name-hint', spec.keyNameHint);
    } else {
      w.beginNode('hash-1');
      w.propertyString('algo', 'crc32');
    }
    w.endNode();
  };
  const typeName = short(TYPE, spec.type);
  const arch = short(ARCH, spec.arch);
  w.beginNode('');
  w.propertyString('description', clip99(`${longNameForId(TYPE, spec.type)} image with one or more FDT blobs`));
  w.propertyString('creator', 'U-Boot mkimage 2023.01');
  w.propertyU32('#address-cells', 1);
  w.beginNode('images');
  w.beginNode(clip99(`${typeName}-1`));
  w.propertyString('description', clip99(spec.name));
  w.propertyString('type', typeName);
  w.propertyString('arch', arch);
  w.propertyString('os', short(OS, spec.os));
  w.propertyString('compression', short(COMP, spec.comp));
  w.propertyU32('load', spec.load);
  w.propertyU32('entry', spec.entry);
  w.property('data', source(spec.data.source));
  hashNode();
  w.endNode();
  spec.dtbs.forEach((dtb, i) => {
    w.beginNode(`fdt-${i + 1}`);
    w.propertyString('description', autoFitBasename(dtb.path));
    w.property('data', source(dtb.source));
    w.propertyString('type', short(TYPE, IH_TYPE.FLAT_DT));
    w.propertyString('arch', arch);
    w.propertyString('compression', short(COMP, IH_COMP.NONE));
    hashNode();
    w.endNode();
  });
  if (spec.ramdisk) {
    w.beginNode('ramdisk-1');
    w.propertyString('type', 'ramdisk');
    w.propertyString('os', short(OS, spec.os));
    w.propertyString('arch', arch);
    w.property('data', source(spec.ramdisk.source));
    hashNode();
    w.endNode();
  }
  w.endNode();
  w.beginNode('configurations');
  w.propertyString('default', 'conf-1');
  const main = clip99(`${typeName}-1`);
  spec.dtbs.forEach((dtb, i) => {
    w.beginNode(`conf-${i + 1}`);
    w.propertyString('description', autoFitBasename(dtb.path));
    w.propertyString(typeName, main);
    w.propertyString('loadables', main);
    if (spec.ramdisk) w.propertyString('ramdisk', 'ramdisk-1');
    w.propertyString('fdt', `fdt-${i + 1}`);
    w.endNode();
  });
  if (!spec.dtbs.length) {
    w.beginNode('conf-1');
    w.propertyString(typeName, main);
    if (spec.ramdisk) w.propertyString('ramdisk', 'ramdisk-1');
    w.endNode();
  }
  w.endNode();
  w.endNode();
  return w.finish();
}
