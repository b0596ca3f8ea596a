/**
 * A FIT described as data (what `uimg create --fit` reads from YAML/JSON or builds from flags), turned into the
 * tree mkimage would compile from the equivalent .its: root description, /images with data, hash and signature
 * nodes, /configurations. Data files are referenced through an opener, never loaded whole. The schema is checked
 * here, each problem naming the field.
 */
import type { ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { ARCH, COMP, OS, TYPE, idForName, type NameTable } from '../uimage/tables.js';
import { isFitHashAlgo, FIT_HASH_ALGOS } from './hash.js';
import { Rope } from './rope.js';
import { SequentialWriter } from './seqwrite.js';
import { CRYPTOS, parseSignatureAlgo } from './sign.js';

export interface FitSignatureSpec {
  /** "sha256,rsa2048" */
  algo: string;
  /** key-name-hint: `<key-dir>/<key>.key` signs, `<key>.crt` goes into the key DTB. */
  key: string;
  padding?: 'pkcs-1.5' | 'pss';
  /** Configurations only: the image properties covered (default kernel and fdt, as U-Boot). */
  signImages?: string[];
}

export interface FitImageSpec {
  description?: string;
  /** A file path (resolved by the caller's opener). */
  data: string;
  type: string;
  arch?: string;
  os?: string;
  compression?: string;
  load?: number;
  entry?: number;
  /** Hash node algorithms, one `hash-N` node each (default: sha256). */
  hash?: string[];
  signature?: FitSignatureSpec;
}

export interface FitConfigSpec {
  description?: string;
  kernel?: string;
  fdt?: string[];
  ramdisk?: string;
  firmware?: string;
  loadables?: string[];
  compatible?: string;
  signature?: FitSignatureSpec;
}

export interface FitSpec {
  description: string;
  images: Record<string, FitImageSpec>;
  configurations?: { default?: string } & Record<string, FitConfigSpec | string | undefined>;
}

const fail = (field: string, message: string, hint: string, actual?: unknown) =>
  new UimgError('BAD_VALUE', `${field}: ${message}`, { field, ...(actual !== undefined ? { actual: String(actual) } : {}) }, hint);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string, required = false): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw fail(field, `expected a string, found ${v === undefined ? 'nothing' : typeof v}`, 'quote the value', v);
  return v;
}

function strList(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw fail(field, 'expected a string or a list of strings', 'e.g. [fdt-1, fdt-2]', v);
  return v as string[];
}

function num(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw fail(field, 'expected an address from 0 to 0xffffffff', 'write it as a number or a "0x..." string', v);
  return n;
}

function name(table: NameTable, v: unknown, field: string): string | undefined {
  const s = str(v, field);
  if (s === undefined) return undefined;
  const e = idForName(table, s);
  if (!e) throw fail(field, `unknown ${table.category} '${s}'`, `one of: ${table.entries.filter((r) => r.name).map((r) => r.name).join(', ')}`, s);
  return e.name!;
}

function signature(v: unknown, field: string, config: boolean): FitSignatureSpec | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw fail(field, 'expected {algo, key}', 'e.g. {algo: "sha256,rsa2048", key: dev}', v);
  const algo = str(v.algo, `${field}.algo`, true)!;
  if (!parseSignatureAlgo(algo)) throw fail(`${field}.algo`, `unknown signature algorithm '${algo}'`, `checksum sha1|sha256|sha384|sha512, a comma, then ${CRYPTOS.join('|')}`, algo);
  const padding = str(v.padding, `${field}.padding`);
  if (padding !== undefined && padding !== 'pss' && padding !== 'pkcs-1.5') throw fail(`${field}.padding`, `unknown padding '${padding}'`, 'pkcs-1.5 (default) or pss', padding);
  const signImages = strList(v['sign-images'] ?? v.signImages, `${field}.sign-images`);
  if (signImages && !config) throw fail(`${field}.sign-images`, 'only configuration signatures list images', 'move it to a configuration');
  return { algo, key: str(v.key, `${field}.key`, true)!, padding: padding as FitSignatureSpec['padding'], signImages };
}

/** Check a parsed YAML/JSON value against the schema (docs/fit.md) and normalise names. */
export function parseFitSpec(value: unknown): FitSpec {
  if (!isObject(value)) throw fail('(top)', 'expected a mapping with description, images, configurations', 'see docs/fit.md');
  const imagesIn = value.images;
  if (!isObject(imagesIn) || !Object.keys(imagesIn).length) throw fail('images', 'expected a mapping of at least one image', 'images: {kernel-1: {data: zImage, type: kernel}}');
  const images: Record<string, FitImageSpec> = {};
  for (const [n, raw] of Object.entries(imagesIn)) {
    const f = `images.${n}`;
    if (!isObject(raw)) throw fail(f, 'expected a mapping', 'give at least data and type');
    const hash = strList(raw.hash, `${f}.hash`) ?? ['sha256'];
    for (const h of hash) if (!isFitHashAlgo(h)) throw fail(`${f}.hash`, `unknown hash algorithm '${h}'`, `one of ${FIT_HASH_ALGOS.join(', ')}`, h);
    images[n] = {
      description: str(raw.description, `${f}.description`), data: str(raw.data, `${f}.data`, true)!,
      type: name(TYPE, raw.type, `${f}.type`) ?? (() => { throw fail(`${f}.type`, 'missing', 'kernel, flat_dt, ramdisk, firmware, standalone, ...'); })(),
      arch: name(ARCH, raw.arch, `${f}.arch`), os: name(OS, raw.os, `${f}.os`), compression: name(COMP, raw.compression, `${f}.compression`),
      load: num(raw.load, `${f}.load`), entry: num(raw.entry, `${f}.entry`), hash, signature: signature(raw.signature, `${f}.signature`, false),
    };
  }
  const confsIn = value.configurations ?? {};
  if (!isObject(confsIn)) throw fail('configurations', 'expected a mapping', 'configurations: {default: conf-1, conf-1: {kernel: kernel-1}}');
  const configurations: FitSpec['configurations'] = {};
  const ref = (v: string | undefined, f: string) => {
    if (v !== undefined && !images[v]) throw fail(f, `no image named '${v}'`, `images are: ${Object.keys(images).join(', ')}`, v);
    return v;
  };
  for (const [n, raw] of Object.entries(confsIn)) {
    const f = `configurations.${n}`;
    if (n === 'default') {
      configurations.default = str(raw, f, true);
      continue;
    }
    if (!isObject(raw)) throw fail(f, 'expected a mapping', 'e.g. {kernel: kernel-1, fdt: fdt-1}');
    const fdt = strList(raw.fdt, `${f}.fdt`);
    fdt?.forEach((x) => ref(x, `${f}.fdt`));
    const loadables = strList(raw.loadables, `${f}.loadables`);
    loadables?.forEach((x) => ref(x, `${f}.loadables`));
    configurations[n] = {
      description: str(raw.description, `${f}.description`), kernel: ref(str(raw.kernel, `${f}.kernel`), `${f}.kernel`), fdt,
      ramdisk: ref(str(raw.ramdisk, `${f}.ramdisk`), `${f}.ramdisk`), firmware: ref(str(raw.firmware, `${f}.firmware`), `${f}.firmware`),
      loadables, compatible: str(raw.compatible, `${f}.compatible`), signature: signature(raw.signature, `${f}.signature`, true),
    };
  }
  const def = configurations.default;
  if (def !== undefined && !configurations[def]) throw fail('configurations.default', `no configuration named '${def}'`, 'name one of the configurations', def);
  return { description: str(value.description, 'description') ?? 'FIT image', images, configurations };
}

/** The tree of a spec, data referenced from the opened files (the caller opens `images.*.data`). */
export function fitSpecTree(spec: FitSpec, data: (image: string) => ByteSource): Rope {
  const w = new SequentialWriter();
  const sig = (s: FitSignatureSpec | undefined) => {
    if (!s) return;
    w.beginNode('signature-1');
    w.propertyString('algo', s.algo);
    w.propertyString('key-name-hint', s.key);
    if (s.padding) w.propertyString('padding', s.padding);
    if (s.signImages) w.property('sign-images', new TextEncoder().encode(s.signImages.map((x) => x + '\0').join('')));
    w.endNode();
  };
  const list = (xs: readonly string[]) => new TextEncoder().encode(xs.map((x) => x + '\0').join(''));
  w.beginNode('');
  w.propertyString('description', spec.description);
  w.propertyU32('#address-cells', 1);
  w.beginNode('images');
  for (const [n, img] of Object.entries(spec.images)) {
    w.beginNode(n);
    if (img.description !== undefined) w.propertyString('description', img.description);
    const src = data(n);
    w.property('data', Rope.of({ kind: 'source', source: src, offset: 0, length: src.size }));
    w.propertyString('type', img.type);
    if (img.arch) w.propertyString('arch', img.arch);
    if (img.os) w.propertyString('os', img.os);
    w.propertyString('compression', img.compression ?? 'none');
    if (img.load !== undefined) w.propertyU32('load', img.load);
    if (img.entry !== undefined) w.propertyU32('entry', img.entry);
    (img.hash ?? []).forEach((h, i) => {
      w.beginNode(`hash-${i + 1}`);
      w.propertyString('algo', h);
      w.endNode();
    });
    sig(img.signature);
    w.endNode();
  }
  w.endNode();
  const confs = Object.entries(spec.configurations ?? {}).filter((e): e is [string, FitConfigSpec] => e[0] !== 'default' && isObject(e[1]));
  if (confs.length) {
    w.beginNode('configurations');
    w.propertyString('default', spec.configurations?.default ?? confs[0]![0]);
    for (const [n, c] of confs) {
      w.beginNode(n);
      if (c.description !== undefined) w.propertyString('description', c.description);
      if (c.kernel) w.propertyString('kernel', c.kernel);
      if (c.firmware) w.propertyString('firmware', c.firmware);
      if (c.ramdisk) w.propertyString('ramdisk', c.ramdisk);
      if (c.fdt?.length) w.property('fdt', list(c.fdt));
      if (c.loadables?.length) w.property('loadables', list(c.loadables));
      if (c.compatible) w.propertyString('compatible', c.compatible);
      sig(c.signature);
      w.endNode();
    }
    w.endNode();
  }
  w.endNode();
  return w.finish();
}
