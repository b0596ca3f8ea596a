/**
 * GNU getopt_long as glibc behaves, for the mkimage/dumpimage front ends: argument permutation (operands may come
 * anywhere), clustered short options (-lq), attached or separate arguments (-Aarm, -A arm), `--` ends options,
 * `--name=value`, and glibc's messages. Long options match by exact spelling only; U-Boot's table would crash on
 * anything else, we report it.
 */
export interface LongOption {
  name: string;
  hasArg: boolean;
  /** The short option it stands for. */
  val: string;
}

export type GetoptEvent =
  | { kind: 'option'; opt: string; arg?: string }
  /** Unknown option or missing argument; `message` is glibc's line (without the "argv0: " prefix). */
  | { kind: 'error'; message: string; opt: string };

export interface GetoptResult {
  events: GetoptEvent[];
  operands: string[];
}

/** `optstring` is getopt's: each letter, followed by ':' when it takes an argument. */
export function getopt(argv: readonly string[], optstring: string, longOptions: readonly LongOption[] = []): GetoptResult {
  const takesArg = (c: string): boolean | undefined => {
    const i = optstring.indexOf(c);
    if (c === ':' || i < 0) return undefined;
    return optstring[i + 1] === ':';
  };
  const events: GetoptEvent[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++]!;
    if (a === '--') {
      operands.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const opt = longOptions.find((o) => o.name === name);
      if (!opt) {
        events.push({ kind: 'error', message: `unrecognized option '${a}'`, opt: a });
        continue;
      }
      if (!opt.hasArg) {
        if (eq >= 0) events.push({ kind: 'error', message: `option '--${name}' doesn't allow an argument`, opt: a });
        else events.push({ kind: 'option', opt: opt.val });
      } else if (eq >= 0) {
        events.push({ kind: 'option', opt: opt.val, arg: a.slice(eq + 1) });
      } else if (i < argv.length) {
        events.push({ kind: 'option', opt: opt.val, arg: argv[i++]! });
      } else {
        events.push({ kind: 'error', message: `option '--${name}' requires an argument`, opt: a });
      }
      continue;
    }
    if (a.length < 2 || a[0] !== '-') {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const needs = takesArg(c);
      if (needs === undefined) {
        events.push({ kind: 'error', message: `invalid option -- '${c}'`, opt: c });
        continue;
      }
      if (!needs) {
        events.push({ kind: 'option', opt: c });
        continue;
      }
      if (j + 1 < a.length) events.push({ kind: 'option', opt: c, arg: a.slice(j + 1) });
      else if (i < argv.length) events.push({ kind: 'option', opt: c, arg: argv[i++]! });
      else events.push({ kind: 'error', message: `option requires an argument -- '${c}'`, opt: c });
      break;
    }
  }
  return { events, operands };
}

/** C strtoull(s, &end, base) accepting only if all of s is consumed; result reduced modulo 2^32 as uint32 fields are. */
export function parseCUnsigned(s: string, base: 10 | 16): { ok: boolean; value: number; wide: bigint } {
  const m = (base === 16
    ? /^[ \t\n\v\f\r]*([+-]?)(0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)/
    : /^[ \t\n\v\f\r]*([+-]?)()([0-9]*)/).exec(s)!;
  const digits = m[3]!;
  // No digits: strtoull consumes nothing, so only the empty string counts as fully consumed (value 0).
  if (digits === '') return { ok: s === '', value: 0, wide: 0n };
  const ok = m[0].length === s.length;
  let v = BigInt((base === 16 ? '0x' : '') + digits);
  const max = (1n << 64n) - 1n;
  if (v > max) v = max; // saturates at ULLONG_MAX (and then a minus sign does not apply)
  else if (m[1] === '-') v = BigInt.asUintN(64, -v);
  return { ok, value: Number(BigInt.asUintN(32, v)), wide: v };
}
