/**
 * mkimage's FIT hooks: .its files compiled by our DTS compiler (as dtc 1.6.1, /incbin/ relative to the .its), and the
 * listing after creation by the FIT descriptor (verify_header + print_header).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { isUimgError } from '../errors.js';
import { compileDts } from '../formats/fdt/dts/compile.js';
import { localTimeZone } from '../node/env.js';
import { fileSource } from '../node/file.js';
import { fitTool } from '../tools/fit.js';
import type { FitCliHooks } from './mkimage-fit.js';
import { strerror } from './system.js';

export function fitHooksFor(env: NodeJS.ProcessEnv): FitCliHooks {
  return {
    async compileIts(its) {
      let text: Uint8Array;
      try {
        text = new Uint8Array(await readFile(its));
      } catch (e) {
        return { stderr: `FATAL ERROR: Couldn't open "${its}": ${strerror(e)}\n` };
      }
      const base = dirname(its);
      try {
        const r = compileDts(its, text, (p) => new Uint8Array(readFileSync(isAbsolute(p) ? p : join(base, p))), { outName: `${its}.tmp` });
        return { blob: r.blob, stderr: r.messages.map((m) => m + '\n').join('') };
      } catch (e) {
        if (!isUimgError(e)) throw e;
        const messages = (e.data.messages as string[] | undefined) ?? [];
        const last = e.code === 'BAD_DTS' && e.data.fatal !== false ? `FATAL ERROR: ${e.message}` : e.message;
        return { stderr: [...messages, last].map((m) => m + '\n').join('') };
      }
    },
    async list(file) {
      const src = await fileSource(file);
      try {
        const v = await fitTool.verify(src);
        if (v.code !== 0) return { failed: `verify_header failed for FIT Image support with exit code ${v.code}` };
        return { listing: fitTool.print(v.report, localTimeZone(env)), warnings: v.warnings.map((w) => w + '\n').join('') };
      } finally {
        await src.close();
      }
    },
  };
}
