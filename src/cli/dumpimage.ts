/**
 * A drop-in dumpimage (U-Boot 2023.01) for legacy images: -l lists like mkimage -l, -o extracts a part.
 * Differences from the C tool are listed in the README.
 */
import { isUimgError } from '../errors.js';
import { readImage, partRange, payloadRange } from '../formats/uimage/image.js';
import { formatListingBytes } from '../formats/uimage/listing.js';
import { IH_TYPE, TYPE, entryForId, idForName, longNameForId } from '../formats/uimage/tables.js';
import { atomicFileSink } from '../node/file.js';
import { localTimeZone } from '../node/env.js';
import { getopt, parseCUnsigned } from './getopt.js';
import { VERSION, legacyVerdict, openListed } from './mkimage.js';
import { Exit, strerror, type Stdio } from './system.js';

export function dumpimageUsage(argv0: string): string {
  return `Usage: ${argv0} [-T type] -l image
          -l ==> list image header information
          -T ==> parse image file as 'type'
       ${argv0} [-T type] [-p position] [-o outfile] image
          -T ==> declare image type as 'type'
          -p ==> 'position' (starting at 0) of the component to extract from image
          -o ==> extract component to file 'outfile'
       ${argv0} -h ==> print usage information and exit
       ${argv0} -V ==> print version information and exit
`;
}

export async function dumpimageMain(argv0: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Stdio): Promise<number> {
  const fail = (message: string, code = 1): never => {
    io.stderr(`${argv0}: ${message}\n`);
    throw new Exit(code);
  };
  const usage = (): never => {
    io.stderr(dumpimageUsage(argv0));
    throw new Exit(0);
  };
  try {
    if (args.length === 0) usage();
    let type = 0;
    let list = false;
    let outfile: string | undefined;
    let position = 0;
    const { events, operands } = getopt(args, 'hlo:T:p:V');
    for (const ev of events) {
      if (ev.kind === 'error') {
        io.stderr(`${argv0}: ${ev.message}\n`);
        return usage();
      }
      const arg = ev.arg ?? '';
      switch (ev.opt) {
        case 'l': list = true; break;
        case 'o': outfile = arg; break;
        case 'T': {
          const e = arg === 'list' ? undefined : idForName(TYPE, arg);
          if (!e) fail('Invalid type');
          type = e!.id;
          break;
        }
        case 'p': {
          const v = parseCUnsigned(arg, 10);
          // dumpimage 2023.01 prints its own name here instead of the argument.
          if (!v.ok) fail(`invalid file position ${arg}`);
          position = v.value | 0;
          break;
        }
        case 'V':
          io.stdout(`${argv0} version ${VERSION}\n`);
          throw new Exit(0);
        default: usage();
      }
    }
    if (list && outfile !== undefined) usage();
    const image = operands[0];
    if (image === undefined) fail('image file missing');
    const typed = type !== 0;
    if (!list) {
      if (!entryForId(TYPE, type)?.legacy) fail(`unsupported type: ${longNameForId(TYPE, type)}`);
      if (outfile === undefined) fail('No output file provided');
    }
    const src = await openListed(image!, typed || !list, fail, () => `Bad size: "${image}" is not valid image`, (f) => `"${f}"`);
    try {
      const r = await readImage(src);
      const verdict = legacyVerdict(r);
      if (list) {
        if (verdict.code !== 0) {
          if (typed) fail(`verify_header failed for Default Image support with exit code ${verdict.code}`, 256 + verdict.code);
          fail(`${image}: not a valid legacy image: ${verdict.problem!.describe()}`, 256 + verdict.code);
        }
        io.stdout(formatListingBytes(r.header, { timeZone: localTimeZone(env), subImages: r.subImages }));
        return 0;
      }
      if (verdict.code !== 0) {
        io.stderr(`${argv0}: failed to verify header of Default Image support\n`);
        fail(`Can't extract subimage from ${image}`, 255);
      }
      const extractFailed = (): never => {
        io.stderr(`${argv0}: extract_subimage failed for Default Image support\n`);
        return fail(`Can't extract subimage from ${image}`, 253);
      };
      // The type byte in the file decides: a multi image gives sub-image N, anything else (script too) its payload.
      let range: { offset: number; length: number };
      if (r.header.type === IH_TYPE.MULTI) {
        try {
          range = partRange(r, position);
        } catch (e) {
          if (!isUimgError(e)) throw e;
          io.stderr(`${argv0}: No such data file ${position} in "${image}"\n`);
          return extractFailed();
        }
      } else {
        range = payloadRange(r);
      }
      let sink;
      try {
        sink = await atomicFileSink(outfile!, { mode: 0o600 });
      } catch (e) {
        io.stderr(`Can't open "${outfile}": ${strerror(e)}\n`);
        return extractFailed();
      }
      try {
        for await (const c of src.chunks(range.offset, range.length)) await sink.write(c);
        await sink.commit();
      } finally {
        await sink.abort();
      }
      return 0;
    } finally {
      await src.close();
    }
  } catch (e) {
    if (e instanceof Exit) return e.code;
    io.stderr(`${argv0}: ${isUimgError(e) ? e.describe() : strerror(e)}\n`);
    return 1;
  }
}
