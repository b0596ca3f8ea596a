/**
 * Local time as C's ctime() renders it, for a TZ value passed in (the core never reads the environment).
 * A TZ value is resolved as glibc does: empty → UTC; a leading ':' is dropped; a zone name known to the tz
 * database (through Intl) is used as such; otherwise a POSIX rule string (`UTC+3`, `<+0530>-5:30`,
 * `CET-1CEST,M3.5.0,M10.5.0/3`); anything unparsable is UTC.
 */
export interface TimeZone {
  /** Seconds to add to UTC to get local wall-clock time at this instant. */
  offsetAt(utcSeconds: number): number;
}

export const UTC: TimeZone = { offsetAt: () => 0 };

export function resolveTimeZone(tz: string | undefined, systemZone?: string): TimeZone {
  if (tz === undefined) return systemZone ? (ianaZone(systemZone) ?? UTC) : UTC;
  const value = tz.startsWith(':') ? tz.slice(1) : tz;
  if (value === '') return UTC;
  if (/^[A-Za-z_]/.test(value) && !/[,<>]/.test(value)) {
    const zone = ianaZone(value);
    if (zone) return zone;
  }
  return posixZone(value) ?? UTC;
}

function ianaZone(name: string): TimeZone | undefined {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      era: 'short',
    });
  } catch {
    return undefined;
  }
  return {
    offsetAt(utcSeconds) {
      const parts: Record<string, string> = {};
      for (const p of fmt.formatToParts(new Date(utcSeconds * 1000))) parts[p.type] = p.value;
      let year = Number(parts.year);
      if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
      const wall = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour),
        Number(parts.minute), Number(parts.second)) / 1000;
      return wall - utcSeconds;
    },
  };
}

interface Rule { kind: 'M' | 'J' | 'N'; month: number; week: number; day: number; time: number }

/** POSIX TZ: std offset [dst [offset] [,start[/time],end[/time]]]. Offsets are west-positive, as POSIX says. */
function posixZone(spec: string): TimeZone | undefined {
  let at = 0;
  const name = (): string | undefined => {
    if (spec[at] === '<') {
      const close = spec.indexOf('>', at);
      if (close < 0) return undefined;
      const n = spec.slice(at + 1, close);
      at = close + 1;
      return n.length >= 3 ? n : undefined;
    }
    const m = /^[A-Za-z]{3,}/.exec(spec.slice(at));
    if (!m) return undefined;
    at += m[0].length;
    return m[0];
  };
  const clock = (signed: boolean): number | undefined => {
    const m = (signed ? /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/ : /^()(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/)
      .exec(spec.slice(at));
    if (!m) return undefined;
    at += m[0].length;
    const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -secs : secs;
  };
  const rule = (): Rule | undefined => {
    let r: Rule;
    let m: RegExpExecArray | null;
    if ((m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(spec.slice(at)))) {
      r = { kind: 'M', month: Number(m[1]), week: Number(m[2]), day: Number(m[3]), time: 7200 };
      if (r.month < 1 || r.month > 12 || r.week < 1 || r.week > 5 || r.day > 6) return undefined;
    } else if ((m = /^J(\d{1,3})/.exec(spec.slice(at)))) {
      r = { kind: 'J', month: 0, week: 0, day: Number(m[1]), time: 7200 };
    } else if ((m = /^(\d{1,3})/.exec(spec.slice(at)))) {
      r = { kind: 'N', month: 0, week: 0, day: Number(m[1]), time: 7200 };
    } else return undefined;
    at += m[0].length;
    if (spec[at] === '/') {
      at++;
      const t = clock(true);
      if (t === undefined) return undefined;
      r.time = t;
    }
    return r;
  };

  if (name() === undefined) return undefined;
  const stdWest = clock(true);
  if (stdWest === undefined) return undefined;
  const std = -stdWest;
  if (at === spec.length) return { offsetAt: () => std };
  if (name() === undefined) return undefined;
  let dst = std + 3600;
  if (at < spec.length && spec[at] !== ',') {
    const w = clock(true);
    if (w === undefined) return undefined;
    dst = -w;
  }
  // Without rules glibc uses its default, the US rule.
  let start: Rule = { kind: 'M', month: 3, week: 2, day: 0, time: 7200 };
  let end: Rule = { kind: 'M', month: 11, week: 1, day: 0, time: 7200 };
  if (spec[at] === ',') {
    at++;
    const s = rule();
    if (!s || spec[at] !== ',') return undefined;
    at++;
    const e = rule();
    if (!e) return undefined;
    start = s;
    end = e;
  }
  if (at !== spec.length) return undefined;
  return {
    offsetAt(utcSeconds) {
      const year = new Date((utcSeconds + std) * 1000).getUTCFullYear();
      // Transition instants in UTC: the start time is local standard time, the end time local daylight time.
      const begins = ruleDay(start, year) + start.time - std;
      const ends = ruleDay(end, year) + end.time - dst;
      const inDst = begins < ends
        ? utcSeconds >= begins && utcSeconds < ends
        : utcSeconds >= begins || utcSeconds < ends;
      return inDst ? dst : std;
    },
  };
}

/** Seconds from the epoch to 00:00 (UTC-based) of the day a rule names in `year`. */
function ruleDay(r: Rule, year: number): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (r.kind === 'J') return jan1 + (r.day - 1 + (leap && r.day >= 60 ? 1 : 0)) * 86400;
  if (r.kind === 'N') return jan1 + r.day * 86400;
  const first = Date.UTC(year, r.month - 1, 1) / 1000;
  const firstWeekday = new Date(first * 1000).getUTCDay();
  let day = 1 + ((r.day - firstWeekday + 7) % 7) + (r.week - 1) * 7;
  const daysInMonth = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
  while (day > daysInMonth) day -= 7;
  return first + (day - 1) * 86400;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C ctime() text without its newline: `Tue Nov 14 22:13:20 2023`. */
export function formatCtime(utcSeconds: number, zone: TimeZone = UTC): string {
  const d = new Date((utcSeconds + zone.offsetAt(utcSeconds)) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}
