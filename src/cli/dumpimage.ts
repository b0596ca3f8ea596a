/**
 * A drop-in dumpimage (U-Boot 2023.01) for legacy images: -l lists like mkimage -l, -o extracts a part.
 * Differences from the C tool are listed in the README.
 */
import { isUimgError } from '../errors.js';
import { TYPE, idForName } from '../formats/uimage/tables.js';
import { localTimeZone } from '../node/env.js';
import { chooseTool, toolForType } from '../tools/index.js';
import { getopt, parseCUnsigned } from './getopt.js';
import { VERSION, extractSubimage, openListed, verifyAndPrint } from './imagetool.js';
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
    const choice = list ? undefined : chooseTool({ action: 'extract', type });
    if (choice && 'unsupported' in choice) fail(choice.unsupported.message);
    const tool = choice && 'tool' in choice ? choice.tool : undefined;
    if (!list && outfile === undefined) fail('No output file provided');
    const src = await openListed(image!, typed || !list, fail, () => `Bad size: "${image}" is not valid image`, (f) => `"${f}"`);
    const timeZone = localTimeZone(env);
    try {
      if (list) return await verifyAndPrint(src, { image: image!, tool: typed ? toolForType(type) : undefined, quiet: false, timeZone }, io, fail);
      return await extractSubimage(argv0, src, { image: image!, tool: tool!, position, outfile: outfile!, timeZone }, io);
    } finally {
      await src.close();
    }
  } catch (e) {
    if (e instanceof Exit) return e.code;
    io.stderr(`${argv0}: ${isUimgError(e) ? e.describe() : strerror(e)}\n`);
    return 1;
  }
}
