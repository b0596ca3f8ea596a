/**
 * The FIT listing of U-Boot 2023.01's host tools (fit_print_contents: `mkimage -l`, `dumpimage -l`, the print after
 * `mkimage -f`, and the block `dumpimage -p` prints), byte for byte. Values are printed raw, as printf("%s") does.
 */
import { concatBytes } from '../../bytes/source.js';
import { formatCtime, type TimeZone, UTC } from '../../time/tz.js';
import { formatSizeLine } from '../uimage/listing.js';
import { ARCH, COMP, IH_COMP, IH_TYPE, OS, TYPE, idForName, longNameForId, type NameTable } from '../uimage/tables.js';
import type { FdtNode } from '../fdt/fdt.js';
import {
  asciiBytes, cString, fitAddress, fitConfigurations, fitImageData, fitTimestamp, prop, stringList, subnode, type FitReport,
} from './fit.js';

/** Type ids the listing tests (IH_TYPE_*), beyond tables.ts's IH_TYPE. */
const RAMDISK = 3;
const FIRMWARE = 5;
const FPGA = 29;
/** genimg_get_*_id's -1 as a uint8_t: what an unknown or missing name becomes. */
const UNKNOWN_ID = 255;

/** The id of a name property as fit_image_get_type/arch/os/comp read it (case-insensitive; unknown → 255). */
export function fitNameId(node: FdtNode, property: string, table: NameTable, missing = UNKNOWN_ID): number {
  const v = prop(node, property);
  if (!v) return missing;
  return idForName(table, new TextDecoder().decode(cString(v)))?.id ?? UNKNOWN_ID;
}

class Out {
  readonly parts: Uint8Array[] = [];
  s(text: string): this {
    this.parts.push(asciiBytes(text));
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }
  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

const timeLine = (seconds: number | undefined, zone: TimeZone) =>
  seconds === undefined ? 'unavailable\n' : `${formatCtime(seconds, zone)}\n`;

const hexOf = (v: Uint8Array) => [...v].map((b) => b.toString(16).padStart(2, '0')).join('');
const addr = (v: bigint) => `0x${v.toString(16).padStart(8, '0')}`;

/** A hash or signature child (fit_image_print_data). */
function verificationData(out: Out, node: FdtNode, zone: TimeZone): void {
  const kind = node.name.startsWith('hash') ? 'Hash' : node.name.startsWith('signature') ? 'Sign' : undefined;
  if (!kind) return;
  out.s(`  ${kind} algo:    `);
  const algo = prop(node, 'algo');
  if (!algo) {
    out.s('invalid/unsupported\n');
    return;
  }
  out.raw(cString(algo));
  const keyName = prop(node, 'key-name-hint');
  if (keyName) out.s(':').raw(cString(keyName));
  if (prop(node, 'required')) out.s(' (required)');
  out.s('\n');
  const padding = prop(node, 'padding');
  if (padding) out.s(`  ${kind} padding: `).raw(cString(padding)).s('\n');
  const value = prop(node, 'value');
  out.s(`  ${kind} value:   ${value ? hexOf(value) : 'unavailable'}\n`);
  if (keyName) out.s(`  Timestamp:    ${timeLine(fitTimestamp(node), zone)}`);
}

function descriptionLine(out: Out, label: string, node: FdtNode): void {
  const d = prop(node, 'description');
  out.s(label);
  if (d) out.raw(cString(d)).s('\n');
  else out.s('unavailable\n');
}

/** One image's block (fit_image_print), as under ` Image N (name)`. */
export function formatFitImage(fit: FitReport, image: FdtNode, zone: TimeZone = UTC): Uint8Array {
  const out = new Out();
  imageBlock(out, fit, image, zone);
  return out.bytes();
}

function addressLine(out: Out, label: string, node: FdtNode, name: 'load' | 'entry', always: boolean): void {
  const a = fitAddress(node, name);
  if (a.unsupported) out.s(`Unsupported ${name} address size\n`);
  if (a.value === undefined && !always) return;
  out.s(`${label}${a.value === undefined ? 'unavailable' : addr(a.value)}\n`);
}

function imageBlock(out: Out, fit: FitReport, image: FdtNode, zone: TimeZone): void {
  descriptionLine(out, '  Description:  ', image);
  out.s(`  Created:      ${timeLine(fitTimestamp(fit.root), zone)}`);
  const type = fitNameId(image, 'type', TYPE);
  out.s(`  Type:         ${longNameForId(TYPE, type)}\n`);
  out.s(`  Compression:  ${longNameForId(COMP, fitNameId(image, 'compression', COMP, IH_COMP.NONE))}\n`);
  const data = fitImageData(fit, image);
  const size = data === undefined ? undefined : data.kind === 'inline' ? data.bytes.length : data.size;
  out.s(`  Data Size:    ${size === undefined ? 'unavailable' : formatSizeLine(size)}\n`);
  const is = (...types: number[]) => types.includes(type);
  if (is(IH_TYPE.KERNEL, IH_TYPE.STANDALONE, RAMDISK, FIRMWARE, IH_TYPE.FLAT_DT)) {
    out.s(`  Architecture: ${longNameForId(ARCH, fitNameId(image, 'arch', ARCH))}\n`);
  }
  if (is(IH_TYPE.KERNEL, RAMDISK, FIRMWARE)) out.s(`  OS:           ${longNameForId(OS, fitNameId(image, 'os', OS))}\n`);
  if (is(IH_TYPE.KERNEL, IH_TYPE.STANDALONE, FIRMWARE, RAMDISK, FPGA)) addressLine(out, '  Load Address: ', image, 'load', true);
  if (type === IH_TYPE.FLAT_DT) addressLine(out, '  Load Address: ', image, 'load', false);
  if (is(IH_TYPE.KERNEL, IH_TYPE.STANDALONE, RAMDISK)) addressLine(out, '  Entry Point:  ', image, 'entry', true);
  for (const child of image.children) verificationData(out, child, zone);
}

function configurationBlock(out: Out, conf: FdtNode, zone: TimeZone): void {
  descriptionLine(out, '  Description:  ', conf);
  const kernel = prop(conf, 'kernel');
  out.s('  Kernel:       ');
  if (kernel) out.raw(cString(kernel)).s('\n');
  else out.s('unavailable\n');
  const single = (label: string, name: string) => {
    const v = prop(conf, name);
    if (v) out.s(label).raw(cString(v)).s('\n');
  };
  const list = (label: string, name: string) => {
    stringList(prop(conf, name)).forEach((s, i) => out.s(i === 0 ? label : '                ').raw(asciiBytes(s)).s('\n'));
  };
  single('  Init Ramdisk: ', 'ramdisk');
  single('  Firmware:     ', 'firmware');
  list('  FDT:          ', 'fdt');
  single('  FPGA:         ', 'fpga');
  list('  Loadables:    ', 'loadables');
  for (const child of conf.children) verificationData(out, child, zone);
}

/** The whole listing (fit_print_contents), including its quirks (the default read from the node after /images). */
export function formatFitListing(fit: FitReport, zone: TimeZone = UTC): Uint8Array {
  const out = new Out();
  descriptionLine(out, 'FIT description: ', fit.root);
  out.s(`Created:         ${timeLine(fitTimestamp(fit.root), zone)}`);
  const images = subnode(fit.root, 'images');
  if (!images) {
    out.s("Can't find images parent node '/images' (FDT_ERR_NOTFOUND)\n");
    return out.bytes();
  }
  images.children.forEach((image, i) => {
    out.s(` Image ${i} (`).raw(asciiBytes(image.name)).s(')\n');
    imageBlock(out, fit, image, zone);
  });
  const confs = fitConfigurations(fit);
  if (!confs) return out.bytes();
  // U-Boot reads `default` from the node where its walk over /images stopped: the sibling after /images.
  const after = fit.root.children[fit.root.children.indexOf(images) + 1];
  const dflt = prop(after, 'default');
  if (dflt) out.s(" Default Configuration: '").raw(cString(dflt)).s("'\n");
  confs.children.forEach((conf, i) => {
    out.s(` Configuration ${i} (`).raw(asciiBytes(conf.name)).s(')\n');
    configurationBlock(out, conf, zone);
  });
  return out.bytes();
}
