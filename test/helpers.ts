import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const BIN = (name: 'mkimage' | 'dumpimage' | 'uimg') => join(ROOT, 'bin', `${name}.js`);

export function tempDir(prefix = 'uimg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, path)));
}

/** Is a program on PATH (or at this absolute path)? */
export function hasTool(name: string): boolean {
  if (name.startsWith('/')) return existsSync(name);
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Run one of our bins as the named program (argv0), in `cwd`, with exactly `env` (plus PATH). */
export function runOurs(tool: 'mkimage' | 'dumpimage' | 'uimg', args: string[], cwd: string, env: Record<string, string> = {}, input?: Uint8Array): Run {
  const r: SpawnSyncReturns<Buffer> = spawnSync(process.execPath, [BIN(tool), ...args], {
    cwd, env: { PATH: process.env.PATH!, UIMG_ARGV0: tool, ...env }, input, maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Where U-Boot's mkimage/dumpimage live (another build, or a missing folder to see the suite skip). */
export const REAL_TOOLS_DIR = process.env.UIMG_REAL_TOOLS_DIR ?? '/usr/bin';

/** Run U-Boot's tool with argv0 set to its bare name, like a script calling `mkimage`. */
export function runReal(tool: 'mkimage' | 'dumpimage', args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const r = spawnSync(join(REAL_TOOLS_DIR, tool), args, { cwd, argv0: tool, env: { PATH: process.env.PATH!, ...env }, maxBuffer: 1 << 28 });
  // A shell reports death by signal N as 128 + N; so do we.
  return { status: r.status ?? (r.signal ? 128 + constants.signals[r.signal] : null), stdout: r.stdout, stderr: r.stderr };
}

/** mkimage prints a memory address in script Offset lines; only the low 12 bits (offset mod 4096) carry meaning. */
export const maskOffsets = (text: string) => text.replace(/^( {4}Offset = 0x)[0-9a-f]*([0-9a-f]{3})$/gm, '$1…$2');
