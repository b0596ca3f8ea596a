/**
 * Interim hooks for mkimage's FIT path until the DTS compiler and the FIT listing land: .its files go through the
 * system's dtc exactly as U-Boot's mkimage runs it, and the listing is empty.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FitCliHooks } from './mkimage-fit.js';

export const fitHooks: FitCliHooks = {
  async compileIts(its, dtcOpts) {
    const out = join(tmpdir(), `uimg-its-${process.pid}-${Date.now()}.dtb`);
    const r = spawnSync('sh', ['-c', `dtc ${dtcOpts} -o "${out}" "${its}"`], { encoding: 'utf8' });
    try {
      return { blob: new Uint8Array(readFileSync(out)), stderr: r.stderr };
    } catch {
      return { stderr: r.stderr };
    } finally {
      rmSync(out, { force: true });
    }
  },
  async list() {
    return { listing: new Uint8Array(0), warnings: '' };
  },
};
