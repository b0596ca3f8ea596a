/**
 * libfdt's sequential writer (fdt_create … fdt_finish) as `mkimage -f auto` uses it (fit.md §1.6): each new property
 * name goes in front of the strings block (found names are reused, suffixes included), last_comp_version 2, no free
 * space. Values may be ropes, so image data is referenced, not copied.
 */
import { writeU32BE } from '../../bytes/endian.js';
import { FDT_MAGIC } from '../fdt/fdt.js';
import { TOKENS, cstring } from './blob.js';
import { Rope } from './rope.js';

export class SequentialWriter {
  private struct: (Uint8Array | Rope)[] = [];
  private structSize = 0;
  /** The strings block as it grows at its front; offsets are kept as distances from its end. */
  private strings = new Uint8Array(0);
  private fixups: { at: Uint8Array; distance: number }[] = [];

  private push(part: Uint8Array | Rope): void {
    this.struct.push(part);
    this.structSize += part.length;
  }

  beginNode(name: string): void {
    const n = cstring(name);
    const b = new Uint8Array(4 + ((n.length + 3) & ~3));
    writeU32BE(b, 0, TOKENS.BEGIN_NODE);
    b.set(n, 4);
    this.push(b);
  }

  endNode(): void {
    const b = new Uint8Array(4);
    writeU32BE(b, 0, TOKENS.END_NODE);
    this.push(b);
  }

  property(name: string, value: Uint8Array | Rope): void {
    const head = new Uint8Array(12);
    writeU32BE(head, 0, TOKENS.PROP);
    writeU32BE(head, 4, value.length);
    this.fixups.push({ at: head, distance: this.findAddString(name) });
    this.push(head);
    this.push(value);
    const pad = (4 - (value.length & 3)) & 3;
    if (pad) this.push(new Uint8Array(pad));
  }

  propertyString(name: string, value: string): void {
    this.property(name, cstring(value));
  }

  propertyU32(name: string, value: number): void {
    const b = new Uint8Array(4);
    writeU32BE(b, 0, value >>> 0);
    this.property(name, b);
  }

  private findAddString(name: string): number {
    const s = cstring(name);
    const tab = this.strings;
    outer: for (let i = 0; i + s.length <= tab.length; i++) {
      for (let j = 0; j < s.length; j++) if (tab[i + j] !== s[j]) continue outer;
      return tab.length - i;
    }
    const grown = new Uint8Array(tab.length + s.length);
    grown.set(s);
    grown.set(tab, s.length);
    this.strings = grown;
    return grown.length;
  }

  /** fdt_finish: the END token, then header, empty reservation map, structure and strings back to back. */
  finish(): Rope {
    const end = new Uint8Array(4);
    writeU32BE(end, 0, TOKENS.END);
    this.push(end);
    for (const f of this.fixups) writeU32BE(f.at, 8, this.strings.length - f.distance);
    const offStruct = 40 + 16;
    const offStrings = offStruct + this.structSize;
    const total = offStrings + this.strings.length;
    const header = new Uint8Array(offStruct);
    [FDT_MAGIC, total, offStruct, offStrings, 40, 17, 2, 0, this.strings.length, this.structSize]
      .forEach((v, i) => writeU32BE(header, i * 4, v));
    return Rope.of(header, ...this.struct, this.strings);
  }
}
