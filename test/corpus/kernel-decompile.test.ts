/**
 * The Linux 6.1 arm and arm64 DTBs (2282, built by the real dtc as kbuild builds them: prepare-kernel.sh) decompiled:
 * our `-I dtb -O dts` text and check messages equal dtc 1.6.1's for every one. dtc's own output is cached beside the
 * DTBs (.cache/kernel-dts/dts/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { DTC_SKIP, haveDtc, ourDecompile } from '../dtc-tools.js';
import { skipped } from '../skip.js';

const cache = join(ROOT, '.cache', 'kernel-dts');

function prepare(): string | undefined {
  if (!haveDtc) return DTC_SKIP;
  const r = spawnSync('sh', [join(ROOT, 'test', 'corpus', 'prepare-kernel.sh')], { stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status === 3) return r.stderr.toString().trim();
  if (r.status !== 0) throw new Error(`prepare-kernel.sh failed: ${r.stderr}`);
  // dtc's text and messages for each DTB, made once (two at a time).
  const out = join(cache, 'dts');
  if (!existsSync(join(out, 'done'))) {
    mkdirSync(out, { recursive: true });
    const d = spawnSync('sh', ['-c', `cd "${cache}/ref" && ls | xargs -P 2 -n 1 sh -c 'dtc -I dtb -O dts "$0" > "${out}/$0.dts" 2> "${out}/$0.err"; echo $? > "${out}/$0.rc"' && touch "${out}/done"`]);
    if (d.status !== 0) throw new Error(`dtc -I dtb -O dts over the corpus failed: ${d.stderr}`);
  }
  return undefined;
}

const skip = prepare();
if (skip) skipped('kernel DTB decompile corpus', skip);

describe.skipIf(skip !== undefined)('Linux 6.1 DTBs: -I dtb -O dts as dtc 1.6.1', () => {
  it('every DTB gives dtc\'s text, messages and exit code', () => {
    const names = readdirSync(join(cache, 'ref')).filter((n) => n.endsWith('.dtb'));
    expect(names.length).toBe(2282);
    const wrong: string[] = [];
    let bytes = 0;
    const start = performance.now();
    for (const n of names) {
      const blob = new Uint8Array(readFileSync(join(cache, 'ref', n)));
      bytes += blob.length;
      const ours = ourDecompile(blob);
      const dts = join(cache, 'dts', n);
      const real = {
        status: Number(readFileSync(`${dts}.rc`, 'latin1').trim()),
        stdout: readFileSync(`${dts}.dts`, 'latin1'),
        stderr: readFileSync(`${dts}.err`, 'latin1'),
      };
      if (ours.stdout !== real.stdout || ours.stderr !== real.stderr || ours.status !== real.status) wrong.push(n);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(`[kernel-decompile] ${names.length} DTBs, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s; ${wrong.length} differ`);
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});
