// Runs one QEMU guest for an end-to-end test and returns its serial console text.
// The console goes to a file (never a TTY) that is polled; the run ends when the
// guest powers off by itself, when an expected or failure pattern shows up, or at a
// hard deadline. Only the QEMU process started here is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';

export interface QemuOptions {
  /** Emulator binary, e.g. `qemu-system-arm`. */
  binary: string;
  /** Machine arguments; the console/display/reboot options are added here. */
  args: readonly string[];
  /** Serial log file (overwritten). */
  logFile: string;
  /** Stop as soon as the log matches this. Without it, wait for the guest to exit. */
  expect?: RegExp;
  /** Stop as soon as the log matches this (checked after `expect`). */
  fail?: RegExp;
  /** Hard limit for the whole run. */
  deadlineMs: number;
}

export interface QemuResult {
  log: string;
  /** What ended the run. `exit` means QEMU quit on its own (guest poweroff/reset). */
  ended: 'expect' | 'fail' | 'exit' | 'deadline';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  elapsedMs: number;
}

const POLL_MS = 100;
const TERM_GRACE_MS = 3000;

// Safety net: if the test worker exits while a guest still runs, kill it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function readLog(file: string): Promise<string> {
  try {
    return await readFile(file, 'latin1'); // raw bytes, never throws on odd UTF-8
  } catch {
    return ''; // QEMU has not created it yet
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runQemu(opts: QemuOptions): Promise<QemuResult> {
  await rm(opts.logFile, { force: true });
  const started = Date.now();
  const child = spawn(
    opts.binary,
    [
      ...opts.args,
      '-display', 'none',
      '-monitor', 'none',
      '-serial', `file:${opts.logFile}`,
      '-no-reboot', // a guest reset (e.g. panic=-1) ends the run
      '-nic', 'none', // no ipxe roms installed with --no-install-recommends
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }, // stdin is /dev/null
  );
  live.add(child);

  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      stderr += String(err);
      resolve();
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  let ended: QemuResult['ended'] = 'deadline';
  while (Date.now() - started < opts.deadlineMs) {
    if (hasExited) {
      ended = 'exit';
      break;
    }
    const log = await readLog(opts.logFile);
    if (opts.expect?.test(log)) {
      ended = 'expect';
      break;
    }
    if (opts.fail?.test(log)) {
      ended = 'fail';
      break;
    }
    await Promise.race([exited, sleep(POLL_MS)]);
  }

  if (!hasExited) {
    child.kill('SIGTERM');
    const gone = await Promise.race([exited.then(() => true), sleep(TERM_GRACE_MS).then(() => false)]);
    if (!gone) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  live.delete(child);

  return {
    log: await readLog(opts.logFile),
    ended,
    exitCode: child.exitCode,
    signal: child.signalCode,
    stderr,
    elapsedMs: Date.now() - started,
  };
}
