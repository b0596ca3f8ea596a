/**
 * The register-write scripts of Linux's SH romImage boards (`arch/sh/include/mach-<board>/mach/partner-jet-setup.txt`,
 * also read by the Partner-Jet JTAG debugger): one command a line,
 *
 *   LIST "text"          a comment that emits nothing
 *   ED addr, data        32-bit write        EW addr, data   16-bit write      EB addr, data   8-bit write
 *   WAIT n               busy loop of n × 100 iterations
 *   DD addr[, addr2[, n]] 32-bit dummy read of addr (the other arguments are ignored)
 *
 * plus blank lines and comments (`!`, `//`, `/* … *\/` on one line), as the kernel build (cpp, then gas) reads them.
 * Numbers follow gas: 0x hex, 0b binary, a leading 0 octal, else decimal, optionally negative. Anything else, or a
 * value that does not fit its width, is an error naming the line. Parsing keeps each number's spelling and each
 * comment, so formatScript() gives the same text back.
 */
import { UimgError, clip } from '../../errors.js';

/** A number as written in the script: its value (unsigned 32-bit) and its spelling. */
export interface ScriptNumber {
  value: number;
  text: string;
}

export type WriteOp = 'ED' | 'EW' | 'EB';

export type ScriptCommand =
  | { op: 'LIST'; text: string }
  | { op: WriteOp; addr: ScriptNumber; data: ScriptNumber }
  | { op: 'WAIT'; count: ScriptNumber }
  /** `extra` holds DD's ignored second and third arguments, as many as were written. */
  | { op: 'DD'; addr: ScriptNumber; extra: ScriptNumber[] };

export interface ScriptLine {
  /** 1-based. */
  line: number;
  command?: ScriptCommand;
  /** A comment on the line, with its delimiters (`! note`, `/* note *\/`). */
  comment?: string;
}

export interface Script {
  lines: ScriptLine[];
}

/** Bits each command stores; WAIT's count is multiplied by 100 into a 32-bit literal. */
export const WRITE_WIDTH: Record<WriteOp, 8 | 16 | 32> = { ED: 32, EW: 16, EB: 8 };

/** The commands only, in order. */
export function scriptCommands(script: Script): ScriptCommand[] {
  return script.lines.flatMap((l) => (l.command ? [l.command] : []));
}

function scriptError(line: number, message: string, data: { expected?: string; actual?: string } = {}, hint?: string): UimgError {
  return new UimgError('BAD_SCRIPT', `line ${line}: ${message}`, { field: 'line', line, ...data }, hint);
}

const NUMBER = /^-?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** A gas integer, checked to fit `bits` (as unsigned, or as a negative two's complement value). */
function parseNumber(text: string, bits: number, line: number, what: string): ScriptNumber {
  if (!NUMBER.test(text)) {
    throw scriptError(line, `${what}: '${text}' is not a number`, { expected: 'a number: 0x1f, 31, 037, 0b11111', actual: text },
      'numbers are written as gas reads them: 0x hex, decimal, a leading 0 is octal; no expressions');
  }
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const radix = /^0[xX]/.test(digits) ? 16 : /^0[bB]/.test(digits) ? 2 : digits.length > 1 && digits.startsWith('0') ? 8 : 10;
  const magnitude = BigInt(radix === 10 ? digits : radix === 8 ? '0o' + digits.slice(1) : digits);
  const value = negative ? -magnitude : magnitude;
  const max = (1n << BigInt(bits)) - 1n;
  const min = -(1n << BigInt(bits - 1));
  if (value > max || value < min) {
    throw scriptError(line, `${what}: ${text} does not fit ${bits} bits`,
      { expected: `${min} .. 0x${max.toString(16)}`, actual: text });
  }
  return { value: Number(BigInt.asUintN(32, value)), text };
}

/** Split "code  /* c *\/" or "code ! c" into code and comment; strings (LIST) are skipped over. */
function splitComment(raw: string, line: number): { code: string; comment?: string } {
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '!' || raw.startsWith('//', i)) return { code: raw.slice(0, i), comment: raw.slice(i).trimEnd() };
    else if (raw.startsWith('/*', i)) {
      const end = raw.indexOf('*/', i + 2);
      if (end < 0) throw scriptError(line, 'unterminated /* comment', {}, 'end the comment on the same line');
      if (raw.slice(end + 2).trim() !== '') {
        throw scriptError(line, `text after a comment: '${raw.slice(end + 2).trim()}'`, {}, 'one command a line, comments last');
      }
      return { code: raw.slice(0, i), comment: raw.slice(i, end + 2) };
    }
  }
  if (inString) throw scriptError(line, 'unterminated string', {}, 'LIST "text" needs its closing quote');
  return { code: raw };
}

const ARITY: Record<Exclude<ScriptCommand['op'], 'LIST'>, [number, number]> = { ED: [2, 2], EW: [2, 2], EB: [2, 2], WAIT: [1, 1], DD: [1, 3] };
const USAGE: Record<ScriptCommand['op'], string> = {
  LIST: 'LIST "text"',
  ED: 'ED addr, data (32-bit)',
  EW: 'EW addr, data (16-bit)',
  EB: 'EB addr, data (8-bit)',
  WAIT: 'WAIT n',
  DD: 'DD addr[, addr2[, n]]',
};

function parseCommand(code: string, line: number): ScriptCommand {
  const m = /^([A-Za-z]+)(?:\s+(.*))?$/.exec(code);
  const op = m?.[1]?.toUpperCase();
  if (!m || !op || !(op in USAGE)) {
    const word = code.split(/\s/)[0];
    throw scriptError(line, `unknown command '${clip(word ?? '')}'`, { expected: 'LIST, ED, EW, EB, WAIT or DD', actual: word },
      'one of: ' + Object.values(USAGE).join('; '));
  }
  const rest = (m[2] ?? '').trim();
  if (op === 'LIST') {
    const s = /^"((?:[^"\\]|\\.)*)"$/.exec(rest);
    if (!s) throw scriptError(line, `LIST needs one quoted string, found '${rest}'`, { expected: USAGE.LIST, actual: rest });
    return { op: 'LIST', text: s[1]! };
  }
  const [min, max] = ARITY[op as keyof typeof ARITY];
  const args = rest === '' ? [] : rest.split(',').map((a) => a.trim());
  if (args.length < min || args.length > max || args.some((a) => a === '')) {
    throw scriptError(line, `${op} takes ${min === max ? min : `${min} to ${max}`} argument${max > 1 ? 's' : ''}, found '${rest}'`,
      { expected: USAGE[op as ScriptCommand['op']], actual: rest }, 'arguments are separated by commas');
  }
  switch (op) {
    case 'ED':
    case 'EW':
    case 'EB':
      return { op, addr: parseNumber(args[0]!, 32, line, `${op} address`), data: parseNumber(args[1]!, WRITE_WIDTH[op], line, `${op} data`) };
    case 'WAIT': {
      const count = parseNumber(args[0]!, 32, line, 'WAIT count');
      if (count.value * 100 > 0xffffffff) {
        throw scriptError(line, `WAIT ${count.text}: ${count.text} × 100 loop iterations do not fit 32 bits`,
          { expected: '0 .. 42949672', actual: count.text });
      }
      return { op, count };
    }
    default:
      return { op: 'DD', addr: parseNumber(args[0]!, 32, line, 'DD address'), extra: args.slice(1).map((a) => parseNumber(a, 32, line, 'DD argument')) };
  }
}

export function parseScript(text: string): Script {
  const raw = text.split(/\r?\n/);
  if (raw.at(-1) === '') raw.pop();
  const lines = raw.map((rawLine, i): ScriptLine => {
    const line = i + 1;
    const { code, comment } = splitComment(rawLine, line);
    const trimmed = code.trim();
    return { line, ...(trimmed ? { command: parseCommand(trimmed, line) } : {}), ...(comment !== undefined ? { comment } : {}) };
  });
  return { lines };
}

export function formatCommand(c: ScriptCommand): string {
  switch (c.op) {
    case 'LIST':
      return `LIST "${c.text}"`;
    case 'WAIT':
      return `WAIT ${c.count.text}`;
    case 'DD':
      return `DD ${[c.addr, ...c.extra].map((n) => n.text).join(', ')}`;
    default:
      return `${c.op} ${c.addr.text}, ${c.data.text}`;
  }
}

/** The script as text: one command a line, `OP a, b`, comments kept. */
export function formatScript(script: Script): string {
  return script.lines
    .map((l) => [l.command ? formatCommand(l.command) : '', l.comment ?? ''].filter(Boolean).join(' ') + '\n')
    .join('');
}

/** A number for scripts a tool writes (decoded from an image): hex, 8 digits for addresses. */
export function scriptNumber(value: number, digits: number): ScriptNumber {
  return { value: value >>> 0, text: '0x' + (value >>> 0).toString(16).padStart(digits, '0') };
}
