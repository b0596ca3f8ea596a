/**
 * The DTS lexer, token for token as dtc 1.6.1's flex scanner: the same start conditions (INITIAL, V1 after
 * `/dts-v1/`, BYTESTRING inside `[...]`, PROPNODENAME after `{`, `;` and the delete/omit keywords), longest match
 * with rule order breaking ties, `/include/` handled here (a stack of files), cpp line markers (`# 1 "file" 1`,
 * `#line 5 "file"`) renaming the current file, and positions counted per byte as dtc counts them (1-based line and
 * column; `last` is the column after the token). Lexical errors are reported and scanning goes on, as in dtc.
 */
import type { SourcePosition } from '../tree.js';
import { escapedBytes } from './escapes.js';
import type { DtsSession } from './session.js';

export type TokenKind =
  | 'V1' | 'PLUGIN' | 'MEMRESERVE' | 'BITS' | 'DEL_PROP' | 'DEL_NODE' | 'OMIT_NO_REF' | 'INCBIN'
  | 'PROPNODENAME' | 'LITERAL' | 'CHAR_LITERAL' | 'BYTE' | 'STRING' | 'LABEL' | 'LABEL_REF' | 'PATH_REF'
  | 'LSHIFT' | 'RSHIFT' | 'LE' | 'GE' | 'EQ' | 'NE' | 'AND' | 'OR'
  /** Any other single byte, in `ch`. */
  | 'CHAR'
  | 'EOF';

export interface Token {
  kind: TokenKind;
  pos: SourcePosition;
  /** PROPNODENAME, LABEL, LABEL_REF, PATH_REF: the name; CHAR: the character. */
  text: string;
  /** LITERAL, CHAR_LITERAL, BYTE. */
  value: bigint;
  /** STRING: the unescaped bytes and the NUL dtc appends. */
  bytes?: Uint8Array;
  ch: number;
}

type State = 'INITIAL' | 'V1' | 'BYTESTRING' | 'PROPNODENAME';

interface SourceFile {
  /** The name positions show; cpp line markers change it. */
  name: string;
  /** The directory of the path the file was opened as: where its `/include/`s and `/incbin/`s are looked for. */
  dir: string | undefined;
  text: Uint8Array;
  at: number;
  line: number;
  col: number;
}

/** dtc's limit on nested `/include/`s. */
const MAX_INCLUDE_DEPTH = 200;

const enum C {
  NL = 10, SPACE = 32, TAB = 9, QUOTE = 34, HASH = 35, AMP = 38, APOS = 39, SLASH = 47, STAR = 42, COLON = 58,
  BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93, SEMI = 59,
}

function table(chars: string, ranges: [string, string][] = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [a, b] of ranges) for (let i = a.charCodeAt(0); i <= b.charCodeAt(0); i++) t[i] = 1;
  return t;
}
const ALNUM: [string, string][] = [['a', 'z'], ['A', 'Z'], ['0', '9']];
/** PROPNODECHAR: [a-zA-Z0-9,._+*#?@-] */
const PROPNODECHAR = table(',._+*#?@-', ALNUM);
/** PATHCHAR: PROPNODECHAR or / */
const PATHCHAR = table(',._+*#?@-/', ALNUM);
const LABEL_START = table('_', [['a', 'z'], ['A', 'Z']]);
const LABEL_CHAR = table('_', ALNUM);
const DIGIT = table('', [['0', '9']]);
const HEX = table('', [['0', '9'], ['a', 'f'], ['A', 'F']]);
/** [[:space:]] */
const SPACE = table(' \t\n\v\f\r');

const KEYWORDS: [string, TokenKind, State | undefined][] = [
  ['/dts-v1/', 'V1', 'V1'],
  ['/plugin/', 'PLUGIN', undefined],
  ['/memreserve/', 'MEMRESERVE', 'V1'],
  ['/bits/', 'BITS', 'V1'],
  ['/delete-property/', 'DEL_PROP', 'PROPNODENAME'],
  ['/delete-node/', 'DEL_NODE', 'PROPNODENAME'],
  ['/omit-if-no-ref/', 'OMIT_NO_REF', 'PROPNODENAME'],
];
const KEYWORD_BYTES = KEYWORDS.map(([k]) => Uint8Array.from(k, (c) => c.charCodeAt(0)));
const INCLUDE = Uint8Array.from('/include/', (c) => c.charCodeAt(0));
const INCBIN = Uint8Array.from('/incbin/', (c) => c.charCodeAt(0));

export function latin1(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 4096)));
  return s;
}

function startsWith(text: Uint8Array, at: number, word: Uint8Array): boolean {
  if (at + word.length > text.length) return false;
  for (let i = 0; i < word.length; i++) if (text[at + i] !== word[i]) return false;
  return true;
}

/** Length of {STRING} (\"([^\\"]|\\.)*\") at `at`, or 0. flex's `.` does not match a newline. */
function stringLength(t: Uint8Array, at: number): number {
  if (t[at] !== C.QUOTE) return 0;
  let i = at + 1;
  while (i < t.length) {
    const c = t[i]!;
    if (c === C.QUOTE) return i + 1 - at;
    if (c === C.BACKSLASH) {
      if (i + 1 >= t.length || t[i + 1] === C.NL) return 0;
      i += 2;
    } else i++;
  }
  return 0;
}

/**
 * Length of {CHAR_LITERAL} ('([^']|\\')*') at `at`, or 0: the longest match, so the closing quote is the last one
 * before the first quote that no backslash precedes.
 */
function charLiteralLength(t: Uint8Array, at: number): number {
  let end = 0;
  for (let i = at + 1; i < t.length; i++) {
    if (t[i] !== C.APOS) continue;
    end = i + 1;
    if (t[i - 1] !== C.BACKSLASH || i - 1 === at) break;
  }
  return end === 0 ? 0 : end - at;
}

/** Length of a C comment at `at` ("/*"([^*]|\*+[^*\/])*\*+"/"), or 0 when it is not closed. */
function commentLength(t: Uint8Array, at: number): number {
  if (t[at] !== C.SLASH || t[at + 1] !== C.STAR) return 0;
  for (let i = at + 2; i + 1 < t.length; i++) if (t[i] === C.STAR && t[i + 1] === C.SLASH) return i + 2 - at;
  return 0;
}

/** Length of a line comment ("//".*\n), or 0: it needs the newline. */
function lineCommentLength(t: Uint8Array, at: number): number {
  if (t[at] !== C.SLASH || t[at + 1] !== C.SLASH) return 0;
  const nl = t.indexOf(C.NL, at + 2);
  return nl < 0 ? 0 : nl + 1 - at;
}

export class Lexer {
  private readonly files: SourceFile[] = [];
  private state: State = 'INITIAL';
  private cur!: SourceFile;
  /** The file the first token came from, for errors at the very end. */
  private last: SourcePosition;

  constructor(
    private readonly session: DtsSession,
    mainName: string,
    mainText: Uint8Array,
  ) {
    this.push(mainName, mainText, mainName);
    this.last = { file: mainName, firstLine: 1, firstColumn: 1, lastLine: 1, lastColumn: 1 };
  }

  private push(name: string, text: Uint8Array, openedAs: string): void {
    if (this.files.length >= MAX_INCLUDE_DEPTH) this.session.fatal('Includes nested too deeply', this.last);
    const slash = openedAs.lastIndexOf('/');
    this.cur = { name, dir: slash >= 0 ? openedAs.slice(0, slash) : undefined, text, at: 0, line: 1, col: 1 };
    this.files.push(this.cur);
  }

  /** The directory of the file being read, where dtc looks first for `/include/` and `/incbin/` files. */
  currentDir(): string | undefined {
    return this.cur.dir;
  }

  /** Advance over `n` bytes, counting lines and columns as srcpos_update does; the span they covered. */
  private advance(n: number): SourcePosition {
    const f = this.cur;
    const pos: SourcePosition = { file: f.name, firstLine: f.line, firstColumn: f.col, lastLine: 0, lastColumn: 0 };
    const t = f.text;
    const end = f.at + n;
    for (let i = f.at; i < end; i++) {
      if (t[i] === C.NL) {
        f.line++;
        f.col = 1;
      } else f.col++;
    }
    f.at = end;
    pos.lastLine = f.line;
    pos.lastColumn = f.col;
    this.last = pos;
    return pos;
  }

  private token(kind: TokenKind, n: number, text = '', value = 0n): Token {
    return { kind, pos: this.advance(n), text, value, ch: 0 };
  }

  next(): Token {
    for (;;) {
      const f = this.cur;
      const t = f.text;
      const at = f.at;
      if (at >= t.length) {
        if (this.files.length > 1) {
          this.files.pop();
          this.cur = this.files[this.files.length - 1]!;
          continue;
        }
        return { kind: 'EOF', pos: { ...this.last }, text: '', value: 0n, ch: 0 };
      }
      const c = t[at]!;
      // Whitespace and comments go first: nothing else starts with them, except `/` and `#`, handled below.
      if (SPACE[c]) {
        let i = at + 1;
        while (i < t.length && SPACE[t[i]!]) i++;
        this.advanceSilently(i - at);
        continue;
      }
      if (c === C.SLASH) {
        const tok = this.slash(t, at);
        if (tok === undefined) continue;
        return tok;
      }
      if (c === C.HASH && (at === 0 || t[at - 1] === C.NL) && this.lineMarker(t, at)) continue;
      if (c === C.QUOTE) {
        const n = stringLength(t, at);
        if (n > 0) {
          const bytes = this.unescape(t, at + 1, at + n - 1);
          const tok = this.token('STRING', n);
          tok.bytes = bytes;
          return tok;
        }
      }
      return this.other(t, at, c);
    }
  }

  private advanceSilently(n: number): void {
    this.last = this.advance(n);
  }

  /** Tokens starting with `/`: `/include/`, keywords, `/incbin/`, comments, or the character itself. */
  private slash(t: Uint8Array, at: number): Token | undefined {
    if (startsWith(t, at, INCLUDE)) {
      let i = at + INCLUDE.length;
      while (i < t.length && SPACE[t[i]!]) i++;
      const n = stringLength(t, i);
      if (n > 0) {
        const name = latin1(this.unescapeName(t, i + 1, i + n - 1));
        const pos = this.advance(i + n - at);
        this.include(name, pos);
        return undefined;
      }
    }
    for (let k = 0; k < KEYWORDS.length; k++) {
      if (startsWith(t, at, KEYWORD_BYTES[k]!)) {
        const [, kind, state] = KEYWORDS[k]!;
        if (state) this.state = state;
        return this.token(kind, KEYWORD_BYTES[k]!.length);
      }
    }
    if ((this.state === 'INITIAL' || this.state === 'V1') && startsWith(t, at, INCBIN)) return this.token('INCBIN', INCBIN.length);
    const cn = commentLength(t, at) || lineCommentLength(t, at);
    if (cn > 0) {
      this.advanceSilently(cn);
      return undefined;
    }
    return this.char(C.SLASH);
  }

  /** `/include/ "name"`: the named file is read in place, from the including file's directory or the -i paths. */
  private include(name: string, pos: SourcePosition): void {
    const found = this.session.open(name, this.cur.dir, pos);
    this.push(found.path, found.bytes, found.path);
  }

  /** A cpp line marker at the start of a line: the current file takes the marker's name and line. */
  private lineMarker(t: Uint8Array, at: number): boolean {
    let i = at + 1;
    if (t[i] === 0x6c && t[i + 1] === 0x69 && t[i + 2] === 0x6e && t[i + 3] === 0x65) i += 4; // "line"
    const blanks = (j: number) => {
      while (j < t.length && (t[j] === C.SPACE || t[j] === C.TAB)) j++;
      return j;
    };
    let j = blanks(i);
    if (j === i) return false;
    const digits = j;
    while (j < t.length && DIGIT[t[j]!]) j++;
    if (j === digits) return false;
    const lineNo = latin1(t, digits, j);
    const k = blanks(j);
    if (k === j) return false;
    const n = stringLength(t, k);
    if (n === 0) return false;
    let end = k + n;
    // ([ \t]+[0-9]+)*
    for (;;) {
      const b = blanks(end);
      if (b === end) break;
      let d = b;
      while (d < t.length && DIGIT[t[d]!]) d++;
      if (d === b) break;
      end = d;
    }
    const name = this.unescape(t, k + 1, k + n - 1);
    const pos = this.advance(end - at);
    if (name.subarray(0, name.length - 1).includes(0)) this.session.error('Lexical error', pos, 'nul in line number directive');
    this.cur.name = latin1(name, 0, name.length - 1);
    // -1 since #line gives the number of the next line; atoi of a long digit run wraps as C's int does.
    this.cur.line = (Number(BigInt.asIntN(32, BigInt(lineNo))) - 1) | 0;
    return true;
  }

  private unescape(t: Uint8Array, start: number, end: number): Uint8Array {
    return escapedBytes(t, start, end, (message) => this.session.fatal(message, this.last));
  }

  private unescapeName(t: Uint8Array, start: number, end: number): Uint8Array {
    const b = this.unescape(t, start, end);
    return b.subarray(0, b.length - 1);
  }

  private char(ch: number): Token {
    const tok = this.token('CHAR', 1, String.fromCharCode(ch));
    tok.ch = ch;
    if (ch === C.LBRACKET) this.state = 'BYTESTRING';
    else if (ch === C.LBRACE || ch === C.SEMI) this.state = 'PROPNODENAME';
    return tok;
  }

  /** Everything but whitespace, comments, `/...` and strings. */
  private other(t: Uint8Array, at: number, c: number): Token {
    const state = this.state;
    // {LABEL}: wins over a name or a byte with the same start: it is longer by its colon.
    if (LABEL_START[c]) {
      let i = at + 1;
      while (i < t.length && LABEL_CHAR[t[i]!]) i++;
      if (t[i] === C.COLON) return this.token('LABEL', i + 1 - at, latin1(t, at, i));
    }
    if (state === 'V1' && DIGIT[c]) return this.literal(t, at);
    if (c === C.APOS) {
      const n = charLiteralLength(t, at);
      if (n > 0) return this.charLiteral(t, at, n);
    }
    if (c === C.AMP) {
      const d = t[at + 1];
      if (d !== undefined && LABEL_START[d]) {
        let i = at + 2;
        while (i < t.length && LABEL_CHAR[t[i]!]) i++;
        return this.token('LABEL_REF', i - at, latin1(t, at + 1, i));
      }
      if (d === C.LBRACE && t[at + 2] === C.SLASH) {
        let i = at + 3;
        while (i < t.length && PATHCHAR[t[i]!]) i++;
        if (t[i] === C.RBRACE) return this.token('PATH_REF', i + 1 - at, latin1(t, at + 2, i));
      }
      if (d === C.AMP) return this.token('AND', 2);
    }
    if (state === 'BYTESTRING') {
      if (HEX[c] && at + 1 < t.length && HEX[t[at + 1]!]) {
        return this.token('BYTE', 2, '', BigInt(parseInt(latin1(t, at, at + 2), 16)));
      }
      if (c === C.RBRACKET) {
        this.state = 'V1';
        const tok = this.token('CHAR', 1, ']');
        tok.ch = c;
        return tok;
      }
    }
    if (state === 'PROPNODENAME') {
      const n = this.propNodeNameLength(t, at);
      if (n > 0) {
        this.state = 'V1';
        const start = c === C.BACKSLASH ? at + 1 : at;
        return this.token('PROPNODENAME', n, latin1(t, start, at + n));
      }
    }
    const d = t[at + 1];
    if (c === 0x3c && d === 0x3c) return this.token('LSHIFT', 2);
    if (c === 0x3e && d === 0x3e) return this.token('RSHIFT', 2);
    if (c === 0x3c && d === 0x3d) return this.token('LE', 2);
    if (c === 0x3e && d === 0x3d) return this.token('GE', 2);
    if (c === 0x3d && d === 0x3d) return this.token('EQ', 2);
    if (c === 0x21 && d === 0x3d) return this.token('NE', 2);
    if (c === 0x7c && d === 0x7c) return this.token('OR', 2);
    return this.char(c);
  }

  /** Length of \\?{PROPNODECHAR}+ at `at`, or 0. */
  private propNodeNameLength(t: Uint8Array, at: number): number {
    let i = t[at] === C.BACKSLASH ? at + 1 : at;
    const start = i;
    while (i < t.length && PROPNODECHAR[t[i]!]) i++;
    return i === start ? 0 : i - at;
  }

  /** ([0-9]+|0[xX][0-9a-fA-F]+)(U|L|UL|LL|ULL)?, converted as strtoull(text, 0) does. */
  private literal(t: Uint8Array, at: number): Token {
    let i = at;
    let digitsEnd: number;
    let hex = false;
    if (t[at] === 0x30 && (t[at + 1] === 0x78 || t[at + 1] === 0x58) && at + 2 < t.length && HEX[t[at + 2]!]) {
      i = at + 2;
      while (i < t.length && HEX[t[i]!]) i++;
      hex = true;
    } else {
      while (i < t.length && DIGIT[t[i]!]) i++;
    }
    digitsEnd = i;
    const U = 0x55, L = 0x4c;
    if (t[i] === U && t[i + 1] === L && t[i + 2] === L) i += 3;
    else if ((t[i] === U && t[i + 1] === L) || (t[i] === L && t[i + 1] === L)) i += 2;
    else if (t[i] === U || t[i] === L) i += 1;
    const text = latin1(t, at, i);
    const digits = latin1(t, at, digitsEnd);
    const tok = this.token('LITERAL', i - at);
    let value: bigint;
    if (hex) value = BigInt(digits);
    else if (digits.length > 1 && digits[0] === '0') {
      // Octal: strtoull stops at the first 8 or 9, and then the rest is not a suffix.
      const m = /^0[0-7]*/.exec(digits)![0];
      value = BigInt('0o' + (m.length > 1 ? m.slice(1) : '0'));
      if (m.length < digits.length) this.session.error('Lexical error', tok.pos, `Bad integer literal '${text}'`);
    } else value = BigInt(digits);
    if (value > 0xffffffffffffffffn) {
      this.session.error('Lexical error', tok.pos, `Integer literal '${text}' out of range`);
      value = 0xffffffffffffffffn;
    }
    tok.value = value;
    return tok;
  }

  private charLiteral(t: Uint8Array, at: number, n: number): Token {
    const d = this.unescape(t, at + 1, at + n - 1);
    const tok = this.token('CHAR_LITERAL', n);
    if (d.length === 1) {
      this.session.error('Lexical error', tok.pos, 'Empty character literal');
      tok.value = 0n;
    } else {
      tok.value = BigInt(d[0]!);
      if (d.length > 2) this.session.error('Lexical error', tok.pos, `Character literal has ${d.length - 1} characters instead of 1`);
    }
    return tok;
  }
}
