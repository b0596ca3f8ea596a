/**
 * Shared by the decompiler, checks and `uimg fdt` tests: running the real dtc/fdtget/fdtput, and our
 * `dtc -I dtb -O dts` (fdt-core's blob → DeviceTree, then the checks and the decompiler).
 */
import { spawnSync } from 'node:child_process';
import { deviceTreeFromBlob } from '../src/formats/fdt/unflatten.js';
import { emitDts } from '../src/formats/fdt/dts/decompile.js';
import { runChecks, type CheckSwitch } from '../src/formats/fdt/dts/checks.js';
import { hasTool } from './helpers.js';

export const haveDtc = hasTool('dtc') && hasTool('fdtget') && hasTool('fdtput');
export const DTC_SKIP = 'dtc/fdtget/fdtput not found (apt-get install device-tree-compiler)';

export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

export function tool(name: string, args: string[], cwd?: string, input?: string | Uint8Array): ToolRun {
  const r = spawnSync(name, args, { cwd, input, maxBuffer: 1 << 28 });
  return { status: r.status ?? 128, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** What `dtc -I dtb -O dts [switches] [-f]` prints for a blob, by our checks and decompiler. */
export function ourDecompile(blob: Uint8Array, switches: CheckSwitch[] = [], force = false): ToolRun {
  const tree = deviceTreeFromBlob(blob);
  const report = runChecks(tree, { switches, force });
  const stderr = report.messages.map((m) => m.text).join('') + (report.summary ? report.summary + '\n' : '');
  if (report.abort) return { status: 2, stdout: '', stderr };
  return { status: 0, stdout: emitDts(tree), stderr };
}
