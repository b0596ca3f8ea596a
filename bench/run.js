#!/usr/bin/env node
/**
 * Benchmark: uimg's drop-in mkimage against U-Boot's (/usr/bin/mkimage), on a 256 MiB payload, plus a 1 GiB memory
 * check of ours alone. Reports and never gates: the exit code is 0 whatever the numbers say.
 *
 *   npm run bench            (= npm run build && node bench/run.js)
 *
 * Environment knobs (all optional):
 *   BENCH_RUNS=5             timed runs per tool and operation (after one warm-up run each)
 *   BENCH_SIZE_MIB=256       payload size for the comparison
 *   BENCH_BIG_MIB=1024       payload size for the memory check (0 skips it)
 *   BENCH_RSS=time|python    force the peak-RSS wrapper (default: /usr/bin/time if it works, else python3)
 *   BENCH_SYNC_PROBE=0       skip the strace look at how much of a create is fdatasync
 *   UBOOT_MKIMAGE=path       U-Boot's mkimage (default /usr/bin/mkimage)
 *
 * Method. Each measurement runs the tool as a child process, wrapped by `/usr/bin/time -f %M` for its peak RSS (or,
 * where GNU time is missing, a tiny python3 wrapper reading RUSAGE_CHILDREN.ru_maxrss); the same wrapper is used for
 * both tools. Wall time is taken around the wrapped child in this process (GNU time adds ~1 ms), or inside the python
 * wrapper so python's start-up is not counted. Runs alternate between the tools, and the order flips every
 * round, so page-cache state is shared fairly. Before every create the previous output is removed and `sync` runs
 * (untimed), so neither tool pays for the other's writeback, journal commit or block discards. The payload is in the
 * page cache throughout (it was just written, and the warm-up reads it).
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchKernelPayloads } from './payloads.js';
import { benchInspect } from './inspect.js';

const MiB = 1024 * 1024;
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUR_MKIMAGE = join(REPO, 'bin', 'mkimage.js');
const UBOOT_MKIMAGE = process.env.UBOOT_MKIMAGE || '/usr/bin/mkimage';
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || 5);
const SIZE_MIB = Math.max(1, Number(process.env.BENCH_SIZE_MIB) || 256);
const BIG_MIB = process.env.BENCH_BIG_MIB === undefined ? 1024 : Math.max(0, Number(process.env.BENCH_BIG_MIB) || 0);
const RSS_LIMIT_MIB = 100;
const RATIO_TARGET = 0.5;
const CHILD_ENV = { ...process.env, SOURCE_DATE_EPOCH: '0' };
const CREATE_ARGS = (data, out) =>
  ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-e', '0x80008000', '-n', 'bench',
    '-d', data, out];

const TOOLS = {
  uboot: { label: 'U-Boot', cmd: UBOOT_MKIMAGE, pre: [] },
  uimg: { label: 'uimg', cmd: process.execPath, pre: [OUR_MKIMAGE] },
};

// ---------------------------------------------------------------------------------------------------------------
// Temp dir, removed on every way out.

const work = mkdtempSync(join(tmpdir(), 'uimg-bench-'));
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  try {
    rmSync(work, { recursive: true, force: true });
  } catch (e) {
    console.error(`warning: could not remove ${work}: ${e.message}`);
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
  });
}
const p = (name) => join(work, name);

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

function makePayload(path, mib) {
  const chunk = Buffer.allocUnsafe(16 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let left = mib * MiB; left > 0;) {
      const n = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, n);
      for (let off = 0; off < n;) off += writeSync(fd, chunk, off, n - off);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Byte-compare two files in 8 MiB pieces; returns null when equal, else a description of the first difference. */
function compareFiles(a, b) {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const sa = fstatSync(fa).size;
    const sb = fstatSync(fb).size;
    if (sa !== sb) return `sizes differ: ${sa} vs ${sb}`;
    const ba = Buffer.allocUnsafe(8 * MiB);
    const bb = Buffer.allocUnsafe(8 * MiB);
    for (let off = 0; off < sa;) {
      const n = Math.min(ba.length, sa - off);
      if (!readFully(fa, ba, n, off) || !readFully(fb, bb, n, off)) return `short read at ${off}`;
      if (Buffer.compare(ba.subarray(0, n), bb.subarray(0, n)) !== 0) {
        for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return `first difference at byte ${off + i}`;
      }
      off += n;
    }
    return null;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

function readFully(fd, buf, n, at) {
  for (let got = 0; got < n;) {
    const r = readSync(fd, buf, got, n - got, at + got);
    if (r === 0) return false;
    got += r;
  }
  return true;
}

/** Rows of strings as aligned columns: the first left-aligned, the rest right-aligned, a rule under the header row. */
function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log('  ' + r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('   '));
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('   '));
  }
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmtMs = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : 'n/a');
const fmtMiB = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a');
const verdict = (ok) => (ok === undefined ? 'SKIP' : ok ? 'PASS' : 'FAIL');

function syncFs() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------------------------------
// Peak-RSS wrapper: /usr/bin/time -f %M (GNU time, KiB) or python3 with RUSAGE_CHILDREN.ru_maxrss (KiB on Linux).

// The python wrapper also times the child itself (python's own start-up, ~20-100 ms behind a pyenv shim, would
// otherwise land in every measurement) and writes "maxrss_kib elapsed_ms".
const PY_WRAPPER = [
  'import resource, subprocess, sys, time',
  't = time.perf_counter()',
  'rc = subprocess.call(sys.argv[2:])',
  'ms = (time.perf_counter() - t) * 1000',
  'open(sys.argv[1], "w").write("%d %.3f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, ms))',
  'sys.exit(rc if rc >= 0 else 128 - rc)',
].join('\n');

function wrapperWorks(kind) {
  const out = p(`probe-${kind}.rss`);
  const argv = wrap(kind, out, 'true', []);
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  try {
    return r.status === 0 && /^\s*\d+(\s+[\d.]+)?\s*$/.test(readFileSync(out, 'utf8'));
  } catch {
    return false;
  } finally {
    rmSync(out, { force: true });
  }
}

function wrap(kind, rssFile, cmd, args) {
  return kind === 'time'
    ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, cmd, ...args]
    : ['python3', '-c', PY_WRAPPER, rssFile, cmd, ...args];
}

function pickWrapper() {
  const forced = process.env.BENCH_RSS;
  const order = forced === 'python' ? ['python'] : forced === 'time' ? ['time'] : ['time', 'python'];
  for (const kind of order) {
    if (kind === 'time' && !existsSync('/usr/bin/time')) continue;
    if (wrapperWorks(kind)) return kind;
  }
  return null;
}

const RSS_KIND = pickWrapper();
let rssSeq = 0;

/** Run one tool once: wall ms (measured here, around the wrapped child), peak RSS KiB, exit status, stdout. */
function measure(tool, args) {
  const rssFile = p(`rss-${rssSeq++}.txt`);
  const argv = RSS_KIND ? wrap(RSS_KIND, rssFile, tool.cmd, [...tool.pre, ...args]) : [tool.cmd, ...tool.pre, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: work, env: CHILD_ENV, maxBuffer: 16 * MiB, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rssKiB = NaN;
  try {
    // time: "12345" (last line; earlier lines would be its own complaints); python: "12345 678.9".
    const [kib, innerMs] = readFileSync(rssFile, 'utf8').trim().split('\n').pop().trim().split(/\s+/);
    rssKiB = Number(kib);
    if (innerMs !== undefined) ms = Number(innerMs);
  } catch { /* no wrapper, or it died */ }
  rmSync(rssFile, { force: true });
  if (r.error) throw r.error;
  return { ms, rssKiB, status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function check(tool, what, r) {
  if (r.status !== 0) {
    throw new Error(`${tool.label} ${what} exited with ${r.status}:\n${r.stderr.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sync probe: one extra create per tool under strace, summing the time spent in fsync/fdatasync (informational).

function straceSyncProbe(tool, data, out) {
  if (!existsSync('/usr/bin/strace')) return null;
  const traceFile = p(`strace-${tool.label}.txt`);
  const base = ['-f', '-T', '-o', traceFile, '-e', 'trace=fsync,fdatasync,sync_file_range,msync'];
  for (const extra of [['--seccomp-bpf'], []]) {
    rmSync(p(out), { force: true });
    rmSync(traceFile, { force: true });
    syncFs();
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/strace', [...extra, ...base, tool.cmd, ...tool.pre, ...CREATE_ARGS(data, out)], {
      cwd: work, env: CHILD_ENV, stdio: 'ignore',
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0 || !existsSync(traceFile)) continue;
    const calls = readFileSync(traceFile, 'utf8').split('\n')
      .map((l) => /\b(fsync|fdatasync|sync_file_range|msync)\(.*<([\d.]+)>\s*$/.exec(l))
      .filter(Boolean)
      .map((m) => ({ name: m[1], ms: Number(m[2]) * 1000 }));
    return { ms, calls, seccomp: extra.length > 0 };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Main.

function main() {
  const started = process.hrtime.bigint();
  const results = {};
  const haveUboot = existsSync(UBOOT_MKIMAGE);
  console.log('uimg benchmark: drop-in mkimage vs U-Boot mkimage');
  console.log(`  node ${process.version}, ours: ${OUR_MKIMAGE}`);
  console.log(`  U-Boot: ${haveUboot ? UBOOT_MKIMAGE : `${UBOOT_MKIMAGE} (missing: comparison skipped)`}`);
  console.log(`  temp dir: ${work}`);
  console.log(`  peak RSS via: ${RSS_KIND === 'time' ? '/usr/bin/time -f %M (GNU time, ru_maxrss of the child)'
    : RSS_KIND === 'python' ? 'python3 wrapper, resource.getrusage(RUSAGE_CHILDREN).ru_maxrss (wall timed inside it)'
      : 'nothing (neither /usr/bin/time nor python3 works): RSS not measured'}`);
  console.log(`  runs: 1 warm-up + ${RUNS} timed per tool and operation, alternating tools; median wall time`);
  console.log('  before each create: previous output removed and `sync` (untimed); SOURCE_DATE_EPOCH=0');

  // 1. Payload.
  let t = process.hrtime.bigint();
  makePayload(p('payload.bin'), SIZE_MIB);
  console.log(`\npayload: ${SIZE_MIB} MiB of random bytes written in ${fmtMs(Number(process.hrtime.bigint() - t) / 1e6)} ms`);

  const tools = haveUboot ? [TOOLS.uboot, TOOLS.uimg] : [TOOLS.uimg];
  const outOf = (tool) => (tool === TOOLS.uboot ? 'uboot.img' : 'uimg.img');
  const samples = { create: new Map(), list: new Map() };
  const stdoutOf = { create: new Map(), list: new Map() };
  for (const op of ['create', 'list']) for (const tool of tools) samples[op].set(tool, []);

  // 2a. create, alternating tools, order flipped every round.
  for (let round = 0; round <= RUNS; round++) {
    const order = round % 2 ? [...tools].reverse() : tools;
    for (const tool of order) {
      rmSync(p(outOf(tool)), { force: true });
      syncFs();
      const r = measure(tool, CREATE_ARGS('payload.bin', outOf(tool)));
      check(tool, 'create', r);
      if (round > 0) samples.create.get(tool).push(r);
      stdoutOf.create.set(tool, r.stdout);
    }
  }
  syncFs();
  // 2b. list: each tool lists its own output.
  for (let round = 0; round <= RUNS; round++) {
    const order = round % 2 ? [...tools].reverse() : tools;
    for (const tool of order) {
      const r = measure(tool, ['-l', outOf(tool)]);
      check(tool, 'list', r);
      if (round > 0) samples.list.get(tool).push(r);
      stdoutOf.list.set(tool, r.stdout);
    }
  }

  // Identical outputs?
  const identity = [];
  if (haveUboot) {
    const diff = compareFiles(p('uboot.img'), p('uimg.img'));
    identity.push(['images (uboot.img vs uimg.img)', diff]);
    for (const op of ['create', 'list']) {
      const a = stdoutOf[op].get(TOOLS.uboot);
      const b = stdoutOf[op].get(TOOLS.uimg);
      identity.push([`${op} stdout (mkimage ${op === 'list' ? '-l' : '...'} listing)`,
        Buffer.compare(a, b) === 0 ? null : `differs:\n--- U-Boot\n${a}--- uimg\n${b}`]);
    }
  }

  // 2c. Sync share, informational.
  const probes = new Map();
  if (process.env.BENCH_SYNC_PROBE !== '0') {
    for (const tool of tools) probes.set(tool, straceSyncProbe(tool, 'payload.bin', outOf(tool)));
  }
  // 2d. FIT creation (issue 10): -f auto, and an .its with a sha256 hash node, around the same payload.
  const fitRows = [];
  writeFileSync(p('fit.its'), '/dts-v1/;\n/ { description = "bench"; #address-cells = <1>; images { kernel-1 { data = /incbin/("payload.bin");'
    + ' type = "kernel"; arch = "arm"; os = "linux"; compression = "none"; load = <0x80008000>; entry = <0x80008000>;'
    + ' hash-1 { algo = "sha256"; }; }; }; configurations { default = "conf-1"; conf-1 { kernel = "kernel-1"; }; }; };\n');
  for (const [label, args] of [['FIT -f auto', ['-f', 'auto', '-A', 'arm', '-C', 'none', '-d', 'payload.bin']], ['FIT .its sha256', ['-f', 'fit.its']]]) {
    const runs = new Map(tools.map((tool) => [tool, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const tool of round % 2 ? [...tools].reverse() : tools) {
        rmSync(p(`fit-${outOf(tool)}`), { force: true });
        syncFs();
        const r = measure(tool, [...args, `fit-${outOf(tool)}`]);
        check(tool, label, r);
        if (round > 0) runs.get(tool).push(r);
      }
    }
    const ms = (tool) => median(runs.get(tool).map((r) => r.ms));
    const rss = (tool) => Math.max(...runs.get(tool).map((r) => r.rssKiB)) / 1024;
    const same = haveUboot ? compareFiles(p(`fit-${outOf(TOOLS.uboot)}`), p(`fit-${outOf(TOOLS.uimg)}`)) === null : undefined;
    fitRows.push([label, `${fmtMs(ms(TOOLS.uimg))} ms, ${rss(TOOLS.uimg).toFixed(0)} MiB`,
      haveUboot ? `${fmtMs(ms(TOOLS.uboot))} ms, ${rss(TOOLS.uboot).toFixed(0)} MiB` : '-',
      haveUboot ? (ms(TOOLS.uimg) / ms(TOOLS.uboot)).toFixed(2) : '-', same === undefined ? '-' : same ? 'identical' : 'DIFFER']);
    for (const tool of tools) rmSync(p(`fit-${outOf(tool)}`), { force: true });
  }
  console.log(`\nFIT creation, ${SIZE_MIB} MiB kernel (median wall, peak RSS; ratio = uimg / U-Boot, goal <= 0.5, RSS <= 100 MiB):`);
  for (const row of fitRows) console.log(`  ${row[0].padEnd(16)} uimg ${row[1].padEnd(22)} U-Boot ${row[2].padEnd(22)} ratio ${row[3]}  ${row[4]}`);

  for (const tool of tools) rmSync(p(outOf(tool)), { force: true });
  rmSync(p('payload.bin'), { force: true });

  // 3. Memory at scale: ours only.
  const big = {};
  if (BIG_MIB > 0) {
    t = process.hrtime.bigint();
    makePayload(p('big.bin'), BIG_MIB);
    const genMs = Number(process.hrtime.bigint() - t) / 1e6;
    syncFs();
    big.create = measure(TOOLS.uimg, CREATE_ARGS('big.bin', 'big.img'));
    check(TOOLS.uimg, `create (${BIG_MIB} MiB)`, big.create);
    big.list = measure(TOOLS.uimg, ['-l', 'big.img']);
    check(TOOLS.uimg, `list (${BIG_MIB} MiB)`, big.list);
    big.genMs = genMs;
    rmSync(p('big.img'), { force: true });
    rmSync(p('big.bin'), { force: true });
  }

  // 4. Report.
  const stat = (op, tool) => {
    const s = samples[op].get(tool);
    if (!s) return { med: NaN, rss: NaN, all: [] };
    return { med: median(s.map((r) => r.ms)), rss: Math.max(...s.map((r) => r.rssKiB)), all: s.map((r) => r.ms) };
  };
  const rows = [['operation', 'U-Boot ms', 'uimg ms', 'ratio', 'U-Boot peak RSS', 'uimg peak RSS']];
  for (const op of ['create', 'list']) {
    const u = stat(op, TOOLS.uboot);
    const o = stat(op, TOOLS.uimg);
    results[op] = { ratio: o.med / u.med, uimgRss: o.rss };
    rows.push([`${op} ${SIZE_MIB} MiB`, fmtMs(u.med), fmtMs(o.med),
      Number.isFinite(results[op].ratio) ? results[op].ratio.toFixed(2) : 'n/a', fmtMiB(u.rss), fmtMiB(o.rss)]);
  }
  if (BIG_MIB > 0) {
    for (const op of ['create', 'list']) {
      rows.push([`${op} ${BIG_MIB} MiB (uimg only)`, '-', fmtMs(big[op].ms), '-', '-', fmtMiB(big[op].rssKiB)]);
    }
  }
  console.log('\nresults (median wall time; peak RSS = max over the timed runs)');
  printTable(rows);
  console.log('\nall timed runs (ms):');
  for (const op of ['create', 'list']) {
    for (const tool of tools) {
      console.log(`  ${`${op} ${tool.label}`.padEnd(14)} ${stat(op, tool).all.map((x) => x.toFixed(0)).join('  ')}`);
    }
  }
  if (BIG_MIB > 0) console.log(`  (${BIG_MIB} MiB payload generated in ${fmtMs(big.genMs)} ms)`);

  if (probes.size > 0) {
    console.log('\nsync share of one create (extra run per tool under strace -f -T; strace adds some overhead):');
    for (const tool of tools) {
      const pr = probes.get(tool);
      if (!pr) {
        console.log(`  ${tool.label.padEnd(7)} strace not available or failed`);
        continue;
      }
      const total = pr.calls.reduce((n, c) => n + c.ms, 0);
      const med = stat('create', tool).med;
      console.log(`  ${tool.label.padEnd(7)} ${pr.calls.length} call(s): ${pr.calls.map((c) => `${c.name} ${c.ms.toFixed(1)} ms`).join(', ') || 'none'}`
        + `; total ${total.toFixed(1)} ms = ${(100 * total / med).toFixed(0)}% of the median create`
        + ` (this traced run: ${pr.ms.toFixed(0)} ms${pr.seccomp ? '' : ', without --seccomp-bpf'})`);
    }
  }

  console.log('\nchecks:');
  for (const [what, diff] of identity) {
    console.log(`  ${diff === null ? 'IDENTICAL' : 'DIFFERENT'}  ${what}${diff === null ? ': byte-identical' : `: ${diff}`}`);
  }
  const lines = [];
  const lim = RSS_LIMIT_MIB * 1024;
  if (haveUboot) {
    for (const op of ['create', 'list']) {
      const ratio = results[op].ratio;
      lines.push([Number.isFinite(ratio) ? ratio <= RATIO_TARGET : undefined,
        `${op} time ratio uimg/U-Boot ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'} <= ${RATIO_TARGET.toFixed(2)}`]);
    }
  } else {
    lines.push([undefined, 'time ratios: U-Boot mkimage not found']);
  }
  const rssCheck = (label, kib) => lines.push([Number.isFinite(kib) ? kib <= lim : undefined,
    `peak RSS ${label} ${fmtMiB(kib)} <= ${RSS_LIMIT_MIB} MiB`]);
  rssCheck(`uimg create ${SIZE_MIB} MiB`, results.create.uimgRss);
  rssCheck(`uimg list ${SIZE_MIB} MiB`, results.list.uimgRss);
  if (BIG_MIB > 0) {
    rssCheck(`uimg create ${BIG_MIB} MiB`, big.create.rssKiB);
    rssCheck(`uimg list ${BIG_MIB} MiB`, big.list.rssKiB);
  }
  for (const [ok, text] of lines) console.log(`  ${verdict(ok)}  ${text}`);
  const failed = lines.filter(([ok]) => ok === false).length + identity.filter(([, d]) => d !== null).length;
  console.log(`\n${failed === 0 ? 'all targets met' : `${failed} check(s) FAILED`}`
    + ` (benchmark took ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s; it reports, exit code is 0)`);
}

try {
  main();
  await benchKernelPayloads({ p, measure, median, fmtMs, fmtMiB, printTable, runs: RUNS, repo: REPO });
  await benchInspect({ p, measure, median, fmtMs, fmtMiB, printTable, runs: RUNS, repo: REPO });
} catch (e) {
  console.error(`\nbenchmark aborted: ${e?.stack ?? e}`);
} finally {
  cleanup();
}
process.exitCode = 0;
