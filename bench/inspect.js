/**
 * uimg inspect on the cached Debian 12 kernels (the tests' cache: $UIMG_TEST_CACHE, else .cache/): header-only, then
 * --deep; and header-only on the armmp zImage padded to 4 GiB (a sparse file), which should cost what the 5 MB
 * file costs, since header-only inspection reads a few KiB whatever the size. Reports, never gates.
 */
import { copyFileSync, existsSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

const KERNELS = [
  ['armmp zImage', 'debian12-armmp-vmlinuz'],
  ['arm64 Image', 'debian12-arm64-Image'],
  ['amd64 bzImage', 'debian12-amd64-bzImage'],
];

/** `h` is bench/run.js's toolbox: p (temp path), measure, median, fmtMs, fmtMiB, printTable, runs, repo. */
export async function benchInspect(h) {
  console.log('\nuimg inspect (a node process each): --headers-only and the default (deep)');
  const cache = process.env.UIMG_TEST_CACHE || join(h.repo, '.cache');
  const uimg = { label: 'uimg inspect', cmd: process.execPath, pre: [join(h.repo, 'bin', 'uimg.js'), 'inspect', '--json'] };
  const files = KERNELS.map(([label, name]) => [label, join(cache, name)]).filter(([label, path]) => {
    if (!existsSync(path)) console.log(`  ${label}: ${path} missing (run the tests once to fetch it): skipped`);
    return existsSync(path);
  });
  const armmp = files.find(([label]) => label === 'armmp zImage');
  if (armmp) {
    const padded = h.p('armmp-4GiB');
    copyFileSync(armmp[1], padded);
    truncateSync(padded, 4 * 1024 ** 3);
    files.push(['armmp + 4 GiB padding', padded]);
  }
  const rows = [['file', 'header-only ms', '--deep ms', 'peak RSS (deep)']];
  for (const [label, path] of files) {
    const time = (extra) => {
      const runs = [];
      for (let round = 0; round <= h.runs; round++) {
        const r = h.measure(uimg, [...extra, path]);
        if (r.status !== 0 && r.status !== 4) throw new Error(`uimg inspect on ${label} exited with ${r.status}: ${r.stderr.trim()}`);
        if (round > 0) runs.push(r);
      }
      return runs;
    };
    const head = time(['--headers-only']);
    const deep = label.includes('padding') ? undefined : time([]); // deep is the default
    rows.push([label, h.fmtMs(h.median(head.map((r) => r.ms))), deep ? h.fmtMs(h.median(deep.map((r) => r.ms))) : '-',
      deep ? h.fmtMiB(Math.max(...deep.map((r) => r.rssKiB))) : '-']);
  }
  h.printTable(rows);
}
