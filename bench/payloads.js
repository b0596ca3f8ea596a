/**
 * Kernel payload decompression: `uimg inspect --deep` (headers, payload scan, xz, banner) against the native `xz -d`
 * on the same xz stream, extracted, on the cached Debian 12 kernels (the tests' cache: $UIMG_TEST_CACHE, else
 * .cache/). Reports, never gates.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KERNELS = [
  ['armmp zImage', 'debian12-armmp-vmlinuz'],
  ['amd64 bzImage', 'debian12-amd64-bzImage'],
];

/** `h` is bench/run.js's toolbox: p (temp path), measure, median, fmtMs, fmtMiB, printTable, runs, repo. */
export async function benchKernelPayloads(h) {
  console.log('\nkernel payloads: uimg inspect --deep (a node process) vs native xz -d on the extracted stream');
  const cache = process.env.UIMG_TEST_CACHE || join(h.repo, '.cache');
  const { findPayloads } = await import(join(h.repo, 'dist', 'index.js'));
  const ours = { label: 'uimg inspect --deep', cmd: process.execPath, pre: [join(h.repo, 'bin', 'uimg.js'), 'inspect', '--deep'] };
  const xz = { label: 'xz -d', cmd: 'sh', pre: ['-c', 'xz -dc "$1" > /dev/null', 'sh'] };
  const rows = [['kernel', 'xz -d ms', 'inspect --deep ms', 'ratio', 'xz peak RSS', 'uimg peak RSS']];
  for (const [label, name] of KERNELS) {
    const kernel = join(cache, name);
    if (!existsSync(kernel)) {
      console.log(`  ${label}: ${kernel} missing (run the tests once to fetch it): skipped`);
      continue;
    }
    const bytes = new Uint8Array(readFileSync(kernel));
    const [payload] = findPayloads(bytes, { maxCandidates: 1 });
    if (payload?.format !== 'xz' || payload.compressedLength === undefined) {
      console.log(`  ${label}: no xz payload of known length found: skipped`);
      continue;
    }
    const stream = h.p(`${name}.xz`);
    writeFileSync(stream, bytes.subarray(payload.offset, payload.offset + payload.compressedLength));
    const samples = new Map([[ours, []], [xz, []]]);
    for (let round = 0; round <= h.runs; round++) {
      for (const [tool, arg] of round % 2 ? [[xz, stream], [ours, kernel]] : [[ours, kernel], [xz, stream]]) {
        const r = h.measure(tool, [arg]);
        if (r.status !== 0 && !(tool === ours && r.status === 4)) throw new Error(`${tool.label} on ${label} exited with ${r.status}: ${r.stderr.trim()}`);
        if (round > 0) samples.get(tool).push(r);
      }
    }
    const med = (tool) => h.median(samples.get(tool).map((r) => r.ms));
    const rss = (tool) => Math.max(...samples.get(tool).map((r) => r.rssKiB));
    rows.push([label, h.fmtMs(med(xz)), h.fmtMs(med(ours)), (med(ours) / med(xz)).toFixed(2), h.fmtMiB(rss(xz)), h.fmtMiB(rss(ours))]);
  }
  h.printTable(rows);
}
