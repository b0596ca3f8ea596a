/**
 * uimg's FIT creation and signing: `uimg create --fit` (from flags, or from a YAML/JSON description with --from)
 * and `uimg sign` (sign an existing FIT, write the public key into a control DTB). Thin adapters over
 * formats/fit: the same pipeline as the drop-in mkimage, with flag-named errors instead of mkimage's messages.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Argv } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { fromBytes } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { FdtBlob } from '../../formats/fit/blob.js';
import { buildFit, buildFitFromRope, type BuildFitOptions, type BuiltFit } from '../../formats/fit/build.js';
import { parseFitSpec, fitSpecTree, type FitSpec } from '../../formats/fit/spec.js';
import { Rope } from '../../formats/fit/rope.js';
import { CRYPTOS } from '../../formats/fit/sign.js';
import { creationTime } from '../../node/env.js';
import { fileSource } from '../../node/file.js';
import { strerror } from '../system.js';
import { type Context, EXIT, displayPath, openSink, openSource, parseAddress, parseNumberFlag, printJson, readWhole, type OpenedSource } from './common.js';

const SPEC_LIMIT = 1 << 20;
const KEY_DTB_LIMIT = 16 << 20;

export interface FitFlags {
  from?: string;
  dtb?: string[];
  ramdisk?: string;
  hash?: string[];
  external?: boolean;
  align?: string;
  position?: string;
  'key-dir'?: string;
  'key-file'?: string;
  'key-name'?: string;
  algo?: string;
  padding?: string;
  'key-dtb'?: string;
  required?: boolean;
  comment?: string;
}

/** The FIT flags, shared by `create --fit` and `sign`. */
export function fitSigningOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('key-dir', { alias: 'k', type: 'string', describe: 'FIT: directory of KEY.key (private) and KEY.crt (certificate) files' })
    .option('key-file', { alias: 'G', type: 'string', describe: 'FIT: one private key file (PEM) for every signature' })
    .option('key-dtb', { alias: 'K', type: 'string', describe: 'FIT: control DTB to write the public keys into (edited in place)' })
    .option('required', { alias: 'r', type: 'boolean', describe: 'FIT: mark the keys written as required (U-Boot then refuses unsigned images)' })
    .option('comment', { alias: 'c', type: 'string', describe: 'FIT: comment stored in each signature node' }) as unknown as Argv<T>;
}

export function fitCreateOptions<T>(y: Argv<T>): Argv<T> {
  return fitSigningOptions(y
    .option('fit', { type: 'boolean', default: false, describe: 'make a FIT (.itb) instead of a legacy uImage' })
    .option('from', { type: 'string', describe: 'FIT: YAML or JSON description (docs/fit.md); data paths are relative to it' })
    .option('dtb', { alias: 'b', type: 'string', array: true, describe: 'FIT: device tree(s), one configuration each' })
    .option('ramdisk', { alias: 'i', type: 'string', describe: 'FIT: initramfs / ramdisk' })
    .option('hash', { type: 'string', array: true, describe: 'FIT: hash algorithms per image (default sha256): crc32 crc16-ccitt md5 sha1 sha256 sha384 sha512' })
    .option('external', { alias: 'E', type: 'boolean', describe: 'FIT: put image data after the tree (data-offset)' })
    .option('align', { alias: 'B', type: 'string', describe: 'FIT with --external: align the tree and each image to this (hex)' })
    .option('position', { alias: 'p', type: 'string', describe: 'FIT with --external: absolute file offset of the data (hex)' })
    .option('key-name', { alias: 'g', type: 'string', describe: 'FIT: sign every image and configuration with this key (key-name-hint)' })
    .option('algo', { type: 'string', describe: `FIT: signature algorithm with --key-name (default sha256,rsa2048; ${CRYPTOS.join(', ')})` })
    .option('padding', { type: 'string', choices: ['pkcs-1.5', 'pss'], describe: 'FIT: RSA padding with --key-name' }));
}

export interface FitCreateArgs extends FitFlags {
  data: string[];
  output: string;
  arch?: string;
  os: string;
  type: string;
  compression?: string;
  load: string;
  entry?: string;
  name: string;
  time?: string;
  json: boolean;
  quiet: boolean;
}

const usage = (message: string, field: string, hint: string) => new UimgError('USAGE', message, { field }, hint);

/** A FIT description from the flags: one main image, one configuration per --dtb. */
function specFromFlags(a: FitCreateArgs): FitSpec {
  if (a.data.length !== 1) throw usage(`--fit takes one data file (the main image), found ${a.data.length}`, 'data', 'add device trees with --dtb and a ramdisk with --ramdisk');
  const hash = a.hash ?? ['sha256'];
  const sig = a['key-name'] !== undefined ? { algo: a.algo ?? 'sha256,rsa2048', key: a['key-name'], padding: a.padding } : undefined;
  const images: Record<string, unknown> = {
    [`${a.type}-1`]: {
      description: a.name, data: a.data[0], type: a.type, arch: a.arch ?? 'arm', os: a.os, compression: a.compression ?? 'none',
      load: parseAddress(a.load, 'load'), entry: parseAddress(a.entry ?? a.load, 'entry'), hash,
    },
  };
  (a.dtb ?? []).forEach((d, i) => { images[`fdt-${i + 1}`] = { description: d.replace(/^.*\//, ''), data: d, type: 'flat_dt', arch: a.arch ?? 'arm', hash }; });
  if (a.ramdisk) images['ramdisk-1'] = { data: a.ramdisk, type: 'ramdisk', arch: a.arch ?? 'arm', os: a.os, hash };
  const conf = (fdt?: string) => ({
    kernel: `${a.type}-1`, ...(fdt ? { fdt } : {}), ...(a.ramdisk ? { ramdisk: 'ramdisk-1' } : {}),
    ...(sig ? { signature: { ...sig, 'sign-images': ['kernel', ...(fdt ? ['fdt'] : []), ...(a.ramdisk ? ['ramdisk'] : [])] } } : {}),
  });
  const configurations: Record<string, unknown> = { default: 'conf-1' };
  if (a.dtb?.length) a.dtb.forEach((_, i) => { configurations[`conf-${i + 1}`] = conf(`fdt-${i + 1}`); });
  else configurations['conf-1'] = conf();
  return parseFitSpec({ description: a.name || `${a.type} FIT`, images, configurations });
}

async function keyDtb(ctx: Context, path: string | undefined): Promise<FdtBlob | undefined> {
  if (path === undefined) return undefined;
  const bytes = await readWhole(ctx, path, KEY_DTB_LIMIT, 'a control DTB');
  try {
    return await FdtBlob.fromSource(fromBytes(bytes));
  } catch (e) {
    throw e instanceof UimgError ? e.withFile(path) : e;
  }
}

function buildOptions(ctx: Context, a: FitFlags, dest: FdtBlob | undefined, time: number): BuildFitOptions {
  const num = (v: string | undefined, flag: string) => (v === undefined ? undefined : parseAddress(v, flag));
  return {
    timestamp: time,
    keyDest: dest,
    signing: {
      keyDir: a['key-dir'], keyFile: a['key-file'], comment: a.comment, requireKeys: a.required, time, cryptos: CRYPTOS,
      readKeyFile: async (path) => readFile(path, 'utf8').then((text) => ({ text }), (e) => ({ error: strerror(e) })),
    },
    external: a.external ? { align: num(a.align, 'align') ?? 4, position: num(a.position, 'position') ?? 0 } : undefined,
  };
}

/** Turn mkimage's failure notes into one typed error; a signature that could not be made is an error here. */
function checkBuilt(built: BuiltFit, signing: boolean): void {
  const text = built.notes.map((n) => n.text.trim()).filter(Boolean);
  const unsigned = text.find((t) => /^Failed to sign|Couldn't open RSA|Can not get key file/.test(t));
  if (built.code !== 0 || (signing && unsigned)) {
    const message = text.join('; ') || (built.failed === 'images' ? 'the FIT has no /images node' : `FIT processing failed (${built.code})`);
    throw new UimgError(unsigned ? 'BAD_KEY' : 'BAD_VALUE', message, { field: unsigned ? 'key' : 'fit', actual: built.code },
      unsigned ? 'give --key-dir with KEY.key and KEY.crt, or --key-file' : 'check the image nodes (data, hash algo) and --position');
  }
}

async function writeOutputs(ctx: Context, output: string, rope: Rope, dtbPath: string | undefined, dest: FdtBlob | undefined): Promise<void> {
  const sink = await openSink(ctx, output);
  try {
    for await (const c of rope.chunks()) await sink.write(c);
    if (dest && dtbPath !== undefined) {
      // The key DTB is an input too: it is edited in place, atomically, as mkimage -K does.
      const dtbSink = await openSink({ ...ctx, inputs: new Map() }, dtbPath, { flag: 'key-dtb' });
      try {
        for await (const c of Rope.of(dest.image(), dest.rope.slice(dest.h.totalSize)).chunks()) await dtbSink.write(c);
        await dtbSink.commit();
      } finally {
        await dtbSink.abort();
      }
    }
    await sink.commit();
  } finally {
    await sink.abort();
  }
}

function report(ctx: Context, a: { json: boolean; quiet: boolean }, output: string, built: BuiltFit, dtbPath?: string): number {
  if (a.json) {
    printJson(ctx, {
      ok: true, file: displayPath(output), size: built.output!.length,
      signature: built.summary?.signaturePath ?? null, keyDtb: dtbPath ?? null, keyNode: built.summary?.keyPath ?? null,
    });
  } else if (!a.quiet) {
    ctx.io.stdout(`${displayPath(output)}: FIT, ${built.output!.length} bytes\n`);
    if (built.summary) ctx.io.stdout(`signed: ${built.summary.signaturePath}${dtbPath ? `; public key in ${dtbPath} at ${built.summary.keyPath}` : ''}\n`);
  }
  return EXIT.OK;
}

export async function fitCreateCommand(ctx: Context, a: FitCreateArgs): Promise<number> {
  let spec: FitSpec;
  let base = '.';
  if (a.from !== undefined) {
    if (a.data.length) throw usage('--from describes every image: give no data files beside it', 'data', 'put the data paths in the description');
    const text = new TextDecoder().decode(await readWhole(ctx, a.from, SPEC_LIMIT, 'a FIT description'));
    let value: unknown;
    try {
      value = a.from.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      throw new UimgError('MALFORMED', `${a.from}: not valid ${a.from.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`, { file: a.from }, 'see docs/fit.md for the schema');
    }
    try {
      spec = parseFitSpec(value);
    } catch (e) {
      throw e instanceof UimgError ? e.withFile(a.from) : e;
    }
    base = dirname(a.from);
  } else spec = specFromFlags(a);
  const time = a.time !== undefined ? parseNumberFlag(a.time, 'time', { max: 0xffffffff }) : creationTime(ctx.env).time;
  const opened: OpenedSource[] = [];
  try {
    const sources = new Map<string, OpenedSource>();
    for (const [n, img] of Object.entries(spec.images)) {
      const path = a.from !== undefined && !isAbsolute(img.data) ? join(base, img.data) : img.data;
      const s = await openSource(ctx, path);
      opened.push(s);
      sources.set(n, s);
    }
    const dest = await keyDtb(ctx, a['key-dtb']);
    const built = await buildFitFromRope(fitSpecTree(spec, (n) => sources.get(n)!), buildOptions(ctx, a, dest, time));
    const signs = Object.values(spec.images).some((i) => i.signature) || Object.values(spec.configurations ?? {}).some((c) => typeof c === 'object' && c?.signature);
    if (signs && a['key-dir'] === undefined && a['key-file'] === undefined) {
      throw usage('the description has signature nodes but no key was given', 'key-dir', 'add --key-dir DIR (KEY.key, KEY.crt) or --key-file KEY.key');
    }
    checkBuilt(built, signs);
    await writeOutputs(ctx, a.output, built.output!, a['key-dtb'], dest);
    return report(ctx, a, a.output, built, a['key-dtb']);
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

export interface SignArgs extends FitFlags {
  image: string;
  output?: string;
  time?: string;
  json: boolean;
  quiet: boolean;
}

export function signBuilder(y: Argv): Argv<SignArgs> {
  return fitSigningOptions(y
    .positional('image', { type: 'string', demandOption: true, describe: 'the FIT to sign (its signature nodes name the keys)' })
    .option('output', { alias: 'o', type: 'string', describe: 'write the signed FIT here (default: replace IMAGE, atomically)' })
    .option('external', { alias: 'E', type: 'boolean', describe: 'write image data after the tree' })
    .option('align', { alias: 'B', type: 'string', describe: 'with --external: alignment (hex)' })
    .option('position', { alias: 'p', type: 'string', describe: 'with --external: absolute data offset (hex)' })
    .option('time', { type: 'string', describe: 'signature timestamp (default SOURCE_DATE_EPOCH, else now)' })
    .option('json', { type: 'boolean', default: false })
    .option('quiet', { alias: 'q', type: 'boolean', default: false })) as unknown as Argv<SignArgs>;
}

/** `uimg sign`: mkimage -F -k/-G [-K -r -c]: hashes and signatures recomputed, the root timestamp kept. */
export async function signCommand(ctx: Context, a: SignArgs): Promise<number> {
  if (a['key-dir'] === undefined && a['key-file'] === undefined) throw usage('no key given', 'key-dir', 'add --key-dir DIR (KEY.key, KEY.crt) or --key-file KEY.key');
  const time = a.time !== undefined ? parseNumberFlag(a.time, 'time', { max: 0xffffffff }) : creationTime(ctx.env).time;
  let src;
  try {
    src = await fileSource(a.image);
  } catch (e) {
    throw new UimgError('IO_ERROR', `${a.image}: cannot open: ${strerror(e)}`, { file: a.image }, 'check the path');
  }
  try {
    const dest = await keyDtb(ctx, a['key-dtb']);
    const opts = { ...buildOptions(ctx, a, dest, time), timestamp: undefined };
    let built;
    try {
      built = await buildFit(src, opts);
    } catch (e) {
      throw e instanceof UimgError ? e.withFile(a.image) : e;
    }
    checkBuilt(built, true);
    if (!built.summary && !built.notes.length && !(await hasSignatures(built.output!))) {
      throw new UimgError('BAD_VALUE', `${a.image}: the FIT has no signature nodes to sign`, { file: a.image, field: 'signature' },
        'add signature-1 { algo = "sha256,rsa2048"; key-name-hint = "dev"; } to a configuration');
    }
    const output = a.output ?? a.image;
    await writeOutputs({ ...ctx, inputs: new Map() }, output, built.output!, a['key-dtb'], dest);
    return report(ctx, a, output, built, a['key-dtb']);
  } finally {
    await src.close();
  }
}

async function hasSignatures(rope: Rope): Promise<boolean> {
  const blob = FdtBlob.fromRope(rope);
  const walk = (n: ReturnType<FdtBlob['tree']>): boolean => n.name.startsWith('signature') || n.children.some(walk);
  return walk(blob.tree());
}
