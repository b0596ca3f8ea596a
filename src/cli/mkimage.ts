/**
 * A drop-in mkimage (U-Boot 2023.01) for legacy images: same options, output bytes, stdout, stderr and exit codes.
 * Where mkimage crashes or leaves a broken file, this says what is wrong and leaves nothing behind (README lists
 * every such difference). All image work is the library's; this file only adapts arguments and messages.
 */
import { stat } from 'node:fs/promises';
import { isUimgError } from '../errors.js';
import { HEADER_SIZE } from '../formats/uimage/header.js';
import { checkPart, isMultiLayout } from '../formats/uimage/image.js';
import { ARCH, COMP, IH_OS, IH_TYPE, OS, TYPE, idForName, namedEntriesSorted, type NameTable } from '../formats/uimage/tables.js';
import { atomicFileSink, type FileSource } from '../node/file.js';
import { creationTime, localTimeZone } from '../node/env.js';
import { chooseTool, type ImageTool } from '../tools/index.js';
import { getopt, parseCUnsigned, type LongOption } from './getopt.js';
import { fitMain } from './mkimage-fit.js';
import { fitHooksFor } from './mkimage-fit-hooks.js';
import { VERSION, openListed, verifyAndPrint, type Fail } from './imagetool.js';
import { Exit, openInput, strerror, type Stdio } from './system.js';

const OPTSTRING = 'a:A:b:B:c:C:d:D:e:Ef:Fg:G:i:k:K:ln:N:o:O:p:qrR:stT:vVx';
const LONG_OPTIONS: LongOption[] = [
  ['load-address', 'a'], ['architecture', 'A'], ['device-tree', 'b'], ['alignment', 'B'], ['comment', 'c'],
  ['compression', 'C'], ['image', 'd'], ['dtcopts', 'D'], ['entry-point', 'e'], ['external', 'E', false],
  ['fit', 'f'], ['update', 'F', false], ['key-name-hint', 'g'], ['key-file', 'G'], ['help', 'h', false],
  ['initramfs', 'i'], ['key-dir', 'k'], ['key-dest', 'K'], ['list', 'l', false], ['config', 'n'],
  ['engine', 'N'], ['algo', 'o'], ['os', 'O'], ['position', 'p'], ['quiet', 'q', false],
  ['key-required', 'r', false], ['secondary-config', 'R'], ['no-copy', 's', false], ['touch', 't', false],
  ['type', 'T'], ['verbose', 'v', false], ['version', 'V', false], ['xip', 'x', false],
].map(([name, val, hasArg]) => ({ name: name as string, val: val as string, hasArg: hasArg !== false }));

export function usageText(argv0: string): string {
  return `Usage: ${argv0} [-T type] -l image
          -l ==> list image header information
          -T ==> parse image file as 'type'
          -q ==> quiet
       ${argv0} [-x] -A arch -O os -T type -C comp -a addr -e ep -n name -d data_file[:data_file...] image
          -A ==> set architecture to 'arch'
          -O ==> set operating system to 'os'
          -T ==> set image type to 'type'
          -C ==> set compression type 'comp'
          -a ==> set load address to 'addr' (hex)
          -e ==> set entry point to 'ep' (hex)
          -n ==> set image name to 'name'
          -R ==> set second image name to 'name'
          -d ==> use image data from 'datafile'
          -x ==> set XIP (execute in place)
          -s ==> create an image with no data
          -v ==> verbose
       ${argv0} [-D dtc_options] [-f fit-image.its|-f auto|-F] [-b <dtb> [-b <dtb>]] [-E] [-B size] [-i <ramdisk.cpio.gz>] fit-image
           <dtb> file is used with -f auto, it may occur multiple times.
          -D => set all options for device tree compiler
          -f => input filename for FIT source
          -i => input filename for ramdisk file
          -E => place data outside of the FIT structure
          -B => align size in hex for FIT structure and header
          -b => append the device tree binary to the FIT
          -t => update the timestamp in the FIT
Signing / verified boot options: [-k keydir] [-K dtb] [ -c <comment>] [-p addr] [-r] [-N engine]
          -k => set directory containing private keys
          -K => write public keys to this .dtb file
          -g => set key name hint
          -G => use this signing key (in lieu of -k)
          -c => add comment in signature node
          -F => re-sign existing FIT image
          -p => place external data at a static position
          -r => mark keys used as 'required' in dtb
          -N => openssl engine to use for signing
          -o => algorithm to use for signing
       ${argv0} -V ==> print version information and exit
Use '-T list' to see a list of available image types
Long options are available; read the man page for details
`;
}

/** mkimage's "supported are" list for a table (printed on stderr before a bad-name error, and by -T list). */
export function validOptionsText(table: NameTable): string {
  const rows = namedEntriesSorted(table).map((e) => `\t${e.name!.padEnd(15)}  ${e.longName}\n`);
  return `\nInvalid ${table.category}, supported are:\n${rows.join('')}\n`;
}

interface Params {
  arch: number;
  os: number;
  type: number;
  /** The -T value, 0 when none (mkimage's `type` local). */
  typeGiven: number;
  comp: number;
  load: number;
  entry?: number;
  name: string;
  datafile?: string;
  list: boolean;
  quiet: boolean;
  noData: boolean;
  xip: boolean;
  verbose: boolean;
  fit: boolean;
  /** -f's argument ('auto' or an .its); -F leaves it undefined. */
  fitSource?: string;
  /** -d was given (fit_check_params refuses it beside -f FILE and -F). */
  dflag: boolean;
  dtbs: string[];
  ramdisk?: string;
  dtcOpts: string;
  external: boolean;
  align: number;
  position: number;
  keyDir?: string;
  keyDest?: string;
  keyNameHint?: string;
  keyFile?: string;
  comment?: string;
  requireKeys: boolean;
  engine?: string;
  algo?: string;
  resetTimestamp: boolean;
}

export async function mkimageMain(argv0: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Stdio): Promise<number> {
  try {
    return await run(argv0, args, env, io);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    io.stderr(`${argv0}: ${isUimgError(e) ? e.describe() : strerror(e)}\n`);
    return 1;
  }
}

async function run(argv0: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Stdio): Promise<number> {
  const fail = (message: string, code = 1): never => {
    io.stderr(`${argv0}: ${message}\n`);
    throw new Exit(code);
  };
  const usage = (message: string): never => {
    io.stderr(`Error: ${message}\n${usageText(argv0)}`);
    throw new Exit(1);
  };
  const p: Params = {
    arch: 7, os: IH_OS.LINUX, type: IH_TYPE.KERNEL, typeGiven: 0, comp: 1, load: 0, name: '',
    list: false, quiet: false, noData: false, xip: false, verbose: false, fit: false,
    dflag: false, dtbs: [], dtcOpts: '-I dts -O dtb -p 500', external: false, align: 0, position: 0, requireKeys: false,
    resetTimestamp: false,
  };
  const byName = (table: NameTable, value: string): number => {
    const e = idForName(table, value);
    if (!e) {
      io.stderr(validOptionsText(table));
      usage(table.invalidMessage);
    }
    return e!.id;
  };
  const { events, operands } = getopt(args, OPTSTRING, LONG_OPTIONS);
  for (const ev of events) {
    if (ev.kind === 'error') {
      if (ev.message.startsWith('unrecognized option')) {
        // mkimage 2023.01 crashes here (its long-option table lacks a terminator); we say what is wrong.
        fail(`${ev.message}: long options must be spelled out exactly (see --help)`);
      }
      io.stderr(`${argv0}: ${ev.message}\n`);
      usage('Invalid option');
    }
    if (ev.kind !== 'option') continue;
    const arg = ev.arg ?? '';
    switch (ev.opt) {
      case 'a': {
        const v = parseCUnsigned(arg, 16);
        if (!v.ok) fail(`invalid load address ${arg}`);
        p.load = v.value;
        break;
      }
      case 'e': {
        const v = parseCUnsigned(arg, 16);
        if (!v.ok) fail(`invalid entry point ${arg}`);
        p.entry = v.value;
        break;
      }
      case 'A': p.arch = byName(ARCH, arg); break;
      case 'O': p.os = byName(OS, arg); break;
      case 'C': p.comp = byName(COMP, arg); break;
      case 'T':
        if (arg === 'list') {
          io.stderr(validOptionsText(TYPE));
          throw new Exit(0);
        }
        p.typeGiven = byName(TYPE, arg);
        break;
      case 'd': p.datafile = arg; p.dflag = true; break;
      case 'n': p.name = arg; break;
      case 'l': p.list = true; break;
      case 'q': p.quiet = true; break;
      case 's': p.noData = true; break;
      case 'x': p.xip = true; break;
      case 'v': p.verbose = true; break;
      case 'V':
        io.stdout(`${argv0} version ${VERSION}\n`);
        throw new Exit(0);
      case 'p': {
        const v = parseCUnsigned(arg, 16);
        if (!v.ok) fail(`invalid offset size ${arg}`);
        p.position = v.value;
        break;
      }
      case 'B': {
        const v = parseCUnsigned(arg, 16);
        if (!v.ok) fail(`invalid block length ${arg}`);
        p.align = v.value;
        break;
      }
      case 'f': p.fitSource = arg; p.fit = true; break;
      case 'F': p.fit = true; break;
      case 'b': p.dtbs.push(arg); break;
      case 'i': p.ramdisk = arg; break;
      case 'D': p.dtcOpts = arg; break;
      case 'E': p.external = true; break;
      case 'c': p.comment = arg; break;
      case 'k': p.keyDir = arg; break;
      case 'K': p.keyDest = arg; break;
      // mkimage 2023.01's -g falls through to -G (a missing break): the name is also taken as the key file.
      case 'g': p.keyNameHint = arg; p.keyFile = arg; break;
      case 'G': p.keyFile = arg; break;
      case 'N': p.engine = arg; break;
      case 'o': p.algo = arg; break;
      case 'r': p.requireKeys = true; break;
      case 't': p.resetTimestamp = true; break;
      case 'h': usage('Invalid option'); break;
      default: break; // FIT, signing and vendor options: no effect on a legacy image
    }
  }
  const imagefile = operands[0];
  if (p.fit) {
    if (p.fitSource === 'auto' && p.datafile === undefined) usage('Missing data file for auto-FIT (use -d)');
    if (imagefile === undefined) usage('Missing output filename');
    if (p.fitSource !== 'auto' && (p.dflag || p.list)) usage('Bad parameters for image type');
    if (p.engine !== undefined) {
      fail(`-N ${p.engine}: OpenSSL engines are not supported by uimg; sign with a key directory (-k) or a key file (-G)`);
    }
    const epoch = creationTime(env);
    return fitMain(argv0, {
      source: p.fitSource, imagefile: imagefile!, datafile: p.datafile, dtbs: p.dtbs, ramdisk: p.ramdisk,
      arch: p.arch, os: p.os, type: p.typeGiven || IH_TYPE.KERNEL, comp: p.comp, load: p.load, entry: p.entry ?? p.load,
      name: p.name, dtcOpts: p.dtcOpts, external: p.external, align: p.align, position: p.position, keyDir: p.keyDir,
      keyDest: p.keyDest, keyNameHint: p.keyNameHint, keyFile: p.keyFile, comment: p.comment, requireKeys: p.requireKeys,
      algo: p.algo, resetTimestamp: p.resetTimestamp, quiet: p.quiet, time: epoch.time, epochInvalid: epoch.invalid,
    }, fitHooksFor(env), io, usage);
  }
  if (p.list || p.typeGiven !== 0) {
    if (p.typeGiven === IH_TYPE.SCRIPT && p.datafile === undefined) usage('Missing data file for script (use -d)');
    p.type = p.typeGiven;
  }
  if (imagefile === undefined) usage('Missing output filename');
  // One place decides what uimg cannot make or read (src/tools/index.ts).
  const choice = p.list && p.type === 0 ? undefined : chooseTool({ action: p.list ? 'list' : 'create', type: p.type === 0 ? IH_TYPE.KERNEL : p.type, fit: p.fit });
  if (choice && 'unsupported' in choice) fail(choice.unsupported.message);
  const tool = choice && 'tool' in choice ? choice.tool : undefined;
  if (p.type !== 0 && p.datafile !== undefined && p.list) usage('Bad parameters for image type');
  if (p.list) return listImage(imagefile!, tool, p, env, io, fail);
  return createImage(argv0, imagefile!, tool!, p, env, io, fail);
}

async function listImage(imagefile: string, tool: ImageTool | undefined, p: Params, env: NodeJS.ProcessEnv, io: Stdio, fail: Fail): Promise<number> {
  const src = await openListed(imagefile, tool !== undefined, fail, (n) => `Bad size: "${imagefile}" is not valid image: size ${n} < ${HEADER_SIZE}`);
  try {
    return await verifyAndPrint(src, { image: imagefile, tool, quiet: p.quiet, timeZone: localTimeZone(env) }, io, fail);
  } finally {
    await src.close();
  }
}

async function createImage(argv0: string, imagefile: string, tool: ImageTool, p: Params, env: NodeJS.ProcessEnv, io: Stdio,
  fail: Fail): Promise<number> {
  const type = p.type === 0 ? IH_TYPE.KERNEL : p.type;
  const multi = isMultiLayout(type);
  const targetIsDir = await stat(imagefile).then((s) => s.isDirectory(), () => false);
  if (targetIsDir) fail(`Can't open ${imagefile}: Is a directory`);
  let sink;
  try {
    sink = await atomicFileSink(imagefile);
  } catch (e) {
    return fail(`Can't open ${imagefile}: ${strerror(e)}`);
  }
  const sources: FileSource[] = [];
  const open = async (f: string): Promise<FileSource | { directory: true }> => {
    try {
      return await openInput(f);
    } catch (e) {
      return fail(`Can't open ${f}: ${strerror(e)}`);
    }
  };
  try {
    if (!multi && p.datafile === undefined) fail(`Can't open (null): Bad address`);
    if (p.noData) {
      // -s copies nothing, but mkimage still opens the data file of a single-file image.
      if (!multi) {
        const opened = await open(p.datafile!);
        if (!('directory' in opened)) await opened.close();
      }
    } else {
      if (p.datafile === undefined) fail('Missing data file for multi-file image (use -d)');
      const files = multi ? p.datafile!.split(':') : [p.datafile!];
      // mkimage sizes every member of a multi/script image (stat) before it copies any.
      if (multi) {
        for (const f of files) {
          try {
            await stat(f);
          } catch (e) {
            fail(`Can't stat ${f}: ${strerror(e)}`);
          }
        }
      }
      for (const [i, f] of files.entries()) {
        if (p.verbose) io.stderr(`Adding Image ${f}\n`);
        const opened = await open(f);
        if ('directory' in opened) return fail(`Can't read ${f}: No such device`);
        sources.push(opened);
        try {
          await checkPart(opened, i, p.xip);
        } catch (e) {
          if (!isUimgError(e)) throw e;
          if (e.code === 'EMPTY_INPUT') fail(`Input file ${f} is empty, bailing out`);
          if (e.code === 'XIP_TOO_SMALL') fail(`Bad size: "${f}" is too small for XIP`);
          if (e.code === 'XIP_BAD_PADDING') fail(`Bad file: "${f}" has invalid buffer for XIP`);
          throw e;
        }
      }
    }
    const epoch = creationTime(env);
    const { listing } = await tool.create!({
      arch: p.arch, os: p.os, type, comp: p.comp, load: p.load, entry: p.entry, name: p.name, time: epoch.time,
      parts: sources, xip: p.xip, noData: p.noData, timeZone: localTimeZone(env),
    }, sink);
    if (epoch.invalid) io.stderr(`${argv0}: SOURCE_DATE_EPOCH is not valid\n`);
    await sink.commit();
    io.stdout(listing);
    return 0;
  } finally {
    await sink.abort();
    await Promise.all(sources.map((s) => s.close()));
  }
}

