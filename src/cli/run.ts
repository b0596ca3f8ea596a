/** Run a CLI main as a process: argv0 as invoked, exit code set, and never a stack trace for an unexpected error. */
import { basename } from 'node:path';
import { processStdio, strerror, type Stdio } from './system.js';

type Main = (argv0: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Stdio) => Promise<number>;

export function runMain(main: Main, fallbackName: string): void {
  // A reader that goes away (`uimg list x | head -1`) is not an error worth a stack trace.
  const ignoreEpipe = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  };
  process.stdout.on('error', ignoreEpipe);
  process.stderr.on('error', ignoreEpipe);
  // U-Boot prints argv[0] exactly as invoked; Node has no argv[0] of its own, so the shim's name stands in.
  const argv0 = process.env.UIMG_ARGV0 ?? (basename(process.argv[1] ?? fallbackName).replace(/\.js$/, '') || fallbackName);
  main(argv0, process.argv.slice(2), process.env, processStdio).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${argv0}: internal error: ${strerror(e)}\n`);
      process.exitCode = 70;
    },
  );
}
