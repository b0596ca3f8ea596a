/** Run the uimg CLI in-process (what bin/uimg.js runs), capturing its output; a terminal can be pretended for stderr. */
import { uimgMain } from '../src/cli/uimg/index.js';
import type { Stdio } from '../src/cli/system.js';

export interface InProcessRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface InProcessOptions {
  env?: Record<string, string>;
  /** Pretend stderr is a terminal this wide; `now` is its clock (ms), e.g. one that moves a second per call. */
  terminal?: { columns: number; now?: () => number };
}

export async function uimgIn(args: string[], opts: InProcessOptions = {}): Promise<InProcessRun> {
  const out: Buffer[] = [];
  let stderr = '';
  const io: Stdio = {
    stdout: (d) => { out.push(Buffer.from(typeof d === 'string' ? d : Buffer.from(d))); },
    stderr: (d) => { stderr += typeof d === 'string' ? d : Buffer.from(d).toString(); },
    ...(opts.terminal ? { terminal: opts.terminal } : {}),
  };
  const code = await uimgMain('uimg', args, { PATH: process.env.PATH!, TZ: 'UTC', SOURCE_DATE_EPOCH: '1700000000', ...opts.env }, io);
  return { code, stdout: Buffer.concat(out), stderr };
}

/** A clock that moves `step` ms each time it is read. */
export function steppingClock(step = 1000): () => number {
  let t = 0;
  return () => (t += step);
}
