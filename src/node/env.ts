/** Ambient state the core never reads itself: SOURCE_DATE_EPOCH and the time zone, resolved here and passed in. */
import { resolveTimeZone, type TimeZone } from '../time/tz.js';

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
/** What glibc's gmtime() accepts on 64-bit Linux: years that fit an int. */
const GMTIME_MIN = -67768040609740800n;
const GMTIME_MAX = 67768036191676799n;

export interface EpochParse {
  /** The value stored in ih_time (low 32 bits). */
  time: number;
  /** mkimage says "SOURCE_DATE_EPOCH is not valid" and uses 0. */
  invalid: boolean;
}

/** SOURCE_DATE_EPOCH as mkimage reads it: strtol base 10 (whitespace, sign, digits up to the first other char). */
export function parseSourceDateEpoch(value: string): EpochParse {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(value)!;
  let n = m[2] ? BigInt(m[2]) : 0n;
  if (m[1] === '-') n = -n;
  if (n > LONG_MAX) n = LONG_MAX;
  if (n < LONG_MIN) n = LONG_MIN;
  if (n < GMTIME_MIN || n > GMTIME_MAX) return { time: 0, invalid: true };
  return { time: Number(BigInt.asUintN(32, n)), invalid: false };
}

/** The creation time to store: SOURCE_DATE_EPOCH when set, else now. */
export function creationTime(env: NodeJS.ProcessEnv = process.env, now = Date.now()): EpochParse {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde === undefined) return { time: Math.floor(now / 1000) >>> 0, invalid: false };
  return parseSourceDateEpoch(sde);
}

/** The caller's time zone: TZ when set, else the system's (/etc/localtime, as Intl sees it). */
export function localTimeZone(env: NodeJS.ProcessEnv = process.env): TimeZone {
  return resolveTimeZone(env.TZ, Intl.DateTimeFormat().resolvedOptions().timeZone);
}
