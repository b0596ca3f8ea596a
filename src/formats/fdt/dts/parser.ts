/**
 * The DTS parser: dtc 1.6.1's grammar (dtc-parser.y) as recursive descent, with the same semantic actions in the
 * same order, the same values (C's unsigned 64-bit arithmetic, cells checked against their width), the same type
 * and reference markers in values, and the same errors at the same positions: a syntax error names the first token
 * that cannot continue the source, semantic errors are reported and parsing goes on, and either makes the
 * compilation fail at the end as dtc's does.
 */
import type { Marker, SourcePosition } from '../tree.js';
import { Lexer, type Token, type TokenKind } from './lexer.js';
import {
  type LiveNode, type LiveProperty, type LiveReservation, LiveTree, addLabel, deleteNode, guessBootCpuid, liveNode,
  toDeviceTree,
} from './resolve.js';
import type { DtsSession } from './session.js';
import type { DeviceTree } from '../tree.js';

const U64 = (v: bigint) => BigInt.asUintN(64, v);
/** Deeper nesting than this is refused (bison's stack has a limit too: "memory exhausted"). */
const MAX_NESTING = 1000;

/** A value being built: bytes plus dtc's markers. */
class Data {
  bytes = new Uint8Array(16);
  length = 0;
  markers: Marker[] = [];

  mark(type: Marker['type'], ref?: string): void {
    this.markers.push(ref === undefined ? { offset: this.length, type } : { offset: this.length, type, ref });
  }

  private grow(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.bytes.subarray(0, this.length));
    this.bytes = b;
  }

  append(b: Uint8Array): void {
    this.grow(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /** data_append_integer: big-endian, `bits` wide. */
  appendInteger(v: bigint, bits: number): void {
    const n = bits >> 3;
    this.grow(n);
    if (bits <= 32) {
      let x = Number(v & 0xffffffffn);
      for (let i = n - 1; i >= 0; i--) {
        this.bytes[this.length + i] = x & 0xff;
        x = Math.floor(x / 256);
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        this.bytes[this.length + i] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    this.length += n;
  }

  value(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

class Abort extends Error {}

function span(a: SourcePosition, b: SourcePosition): SourcePosition {
  return { file: b.file, firstLine: a.firstLine, firstColumn: a.firstColumn, lastLine: b.lastLine, lastColumn: b.lastColumn };
}

export class Parser {
  private readonly lexer: Lexer;
  private look: Token | undefined;
  /** The last token taken, for the span of what a rule covered. */
  private prev: Token | undefined;
  private plugin = false;
  private tree!: LiveTree;
  private nextFragment = 0;
  private depth = 0;

  constructor(
    private readonly session: DtsSession,
    fileName: string,
    text: Uint8Array,
  ) {
    this.lexer = new Lexer(session, fileName, text);
  }

  private get tok(): Token {
    return (this.look ??= this.lexer.next());
  }

  private take(): Token {
    const t = this.tok;
    this.look = undefined;
    this.prev = t;
    return t;
  }

  private is(kind: TokenKind, ch?: string): boolean {
    const t = this.tok;
    return t.kind === kind && (ch === undefined || t.text === ch);
  }

  private isChar(ch: string): boolean {
    const t = this.tok;
    return t.kind === 'CHAR' && t.text === ch;
  }

  private syntaxError(): never {
    this.session.error('Error', this.tok.pos, 'syntax error');
    throw new Abort();
  }

  private expect(kind: TokenKind, ch?: string): Token {
    if (!this.is(kind, ch)) this.syntaxError();
    return this.take();
  }

  private char(ch: string): Token {
    return this.expect('CHAR', ch);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      this.session.error('Error', this.tok.pos, 'memory exhausted');
      throw new Abort();
    }
  }

  /** sourcefile: headers memreserves devicetree. */
  parse(): DeviceTree {
    let tree: DeviceTree;
    try {
      this.headers();
      const reservations = this.memreserves();
      const root = this.devicetree();
      if (!this.is('EOF')) this.syntaxError();
      tree = toDeviceTree(root, this.plugin, reservations, guessBootCpuid(root));
    } catch (e) {
      if (e instanceof Abort) this.session.fatal('Unable to parse input tree');
      throw e;
    }
    if (this.session.hadError) this.session.fatal('Syntax error parsing input tree');
    return tree;
  }

  private headers(): void {
    const flags: { plugin: boolean; pos: SourcePosition }[] = [];
    do {
      const v1 = this.expect('V1');
      let end = this.char(';');
      let plugin = false;
      if (this.is('PLUGIN')) {
        this.take();
        end = this.char(';');
        plugin = true;
      }
      flags.push({ plugin, pos: span(v1.pos, end.pos) });
    } while (this.is('V1'));
    // `header headers` reduces from the right: the last pair is compared first.
    const last = flags[flags.length - 1]!.pos;
    for (let i = flags.length - 2; i >= 0; i--) {
      if (flags[i + 1]!.plugin !== flags[i]!.plugin) this.session.error('Error', span(flags[i + 1]!.pos, last), "Header flags don't match earlier ones");
    }
    this.plugin = flags[0]!.plugin;
  }

  private memreserves(): LiveReservation[] {
    const out: LiveReservation[] = [];
    while (this.is('LABEL') || this.is('MEMRESERVE')) {
      const labels: string[] = [];
      while (this.is('LABEL')) labels.push(this.take().text);
      this.expect('MEMRESERVE');
      const address = this.integerPrim().value;
      const size = this.integerPrim().value;
      this.char(';');
      const r: LiveReservation = { address, size, labels: [] };
      for (let i = labels.length - 1; i >= 0; i--) addLabel(r.labels, labels[i]!);
      out.push(r);
    }
    return out;
  }

  private isRef(): boolean {
    return this.is('LABEL_REF') || this.is('PATH_REF');
  }

  private devicetree(): LiveNode {
    let root: LiveNode;
    if (this.isChar('/')) {
      this.take();
      root = this.nodedef();
      root.name = '';
      this.tree = new LiveTree(root);
      this.tree.index(root);
    } else if (this.isRef()) {
      const ref = this.take().text;
      const body = this.nodedef();
      if (!this.plugin) this.session.error('Error', body.pos!, `Label or path ${ref} not found`);
      root = liveNode([], []);
      root.name = '';
      this.tree = new LiveTree(root);
      this.orphan(body, ref);
    } else this.syntaxError();
    for (;;) {
      const t = this.tok;
      if (t.kind === 'CHAR' && t.text === '/') {
        this.take();
        const body = this.nodedef();
        this.tree.mergeNodes(root, body);
      } else if (t.kind === 'LABEL') {
        const label = this.take().text;
        if (!this.isRef()) this.syntaxError();
        const refTok = this.take();
        const body = this.nodedef();
        const target = this.tree.byRef(refTok.text);
        if (target) {
          this.tree.addLabel(target, label);
          this.tree.mergeNodes(target, body);
        } else this.session.error('Error', refTok.pos, `Label or path ${refTok.text} not found`);
      } else if (t.kind === 'PATH_REF') {
        const refTok = this.take();
        const body = this.nodedef();
        if (this.plugin) this.orphan(body, refTok.text);
        else {
          const target = this.tree.byRef(refTok.text);
          if (target) this.tree.mergeNodes(target, body);
          else this.session.error('Error', refTok.pos, `Label or path ${refTok.text} not found`);
        }
      } else if (t.kind === 'LABEL_REF') {
        const refTok = this.take();
        const body = this.nodedef();
        const target = this.tree.byRef(refTok.text);
        if (target) this.tree.mergeNodes(target, body);
        else if (this.plugin) this.orphan(body, refTok.text);
        else this.session.error('Error', refTok.pos, `Label or path ${refTok.text} not found`);
      } else if (t.kind === 'DEL_NODE' || t.kind === 'OMIT_NO_REF') {
        this.take();
        if (!this.isRef()) this.syntaxError();
        const refTok = this.take();
        this.char(';');
        const target = this.tree.byRef(refTok.text);
        if (!target) this.session.error('Error', refTok.pos, `Label or path ${refTok.text} not found`);
        else if (t.kind === 'DEL_NODE') deleteNode(target);
        else target.omitIfNoRef = true;
      } else return root;
    }
  }

  /** add_orphan_node: an overlay block for a target outside this tree becomes /fragment@N/__overlay__. */
  private orphan(body: LiveNode, ref: string): void {
    const d = new Data();
    let name: string;
    if (ref.startsWith('/')) {
      d.mark('string', ref);
      d.append(Uint8Array.from(ref + '\0', (c) => c.charCodeAt(0) & 0xff));
      name = 'target-path';
    } else {
      d.mark('phandle-ref', ref);
      d.appendInteger(0xffffffffn, 32);
      name = 'target';
    }
    body.name = '__overlay__';
    const prop: LiveProperty = { name, value: d.value(), markers: d.markers, labels: [], deleted: false };
    const fragment = liveNode([prop], [body]);
    fragment.name = `fragment@${this.nextFragment++}`;
    this.tree.root.children.push(fragment);
    this.tree.index(fragment);
  }

  /** nodedef: '{' proplist subnodes '}' ';' */
  private nodedef(): LiveNode {
    this.enter();
    const open = this.char('{');
    const properties: LiveProperty[] = [];
    const children: LiveNode[] = [];
    for (;;) {
      const start = this.tok;
      if (start.kind === 'CHAR' && start.text === '}') break;
      const labels: string[] = [];
      let omit = false;
      // Labels and /omit-if-no-ref/ may come in any order before a subnode; only labels before a property.
      while (this.is('LABEL') || this.is('OMIT_NO_REF')) {
        if (this.take().kind === 'OMIT_NO_REF') omit = true;
        else labels.push(this.prev!.text);
      }
      const t = this.tok;
      let item: { kind: 'prop'; p: LiveProperty } | { kind: 'node'; n: LiveNode };
      if (t.kind === 'DEL_PROP' && !omit) {
        this.take();
        const name = this.expect('PROPNODENAME').text;
        this.char(';');
        item = { kind: 'prop', p: { name, value: new Uint8Array(0), markers: [], labels: [], deleted: true } };
      } else if (t.kind === 'DEL_NODE') {
        this.take();
        const name = this.expect('PROPNODENAME').text;
        const end = this.char(';');
        const n = liveNode([], [], span(t.pos, end.pos));
        n.name = name;
        n.deleted = true;
        item = { kind: 'node', n };
      } else if (t.kind === 'PROPNODENAME') {
        this.take();
        if (this.isChar('{')) {
          const n = this.nodedef();
          n.name = t.text;
          item = { kind: 'node', n };
        } else if (omit) this.syntaxError();
        else item = { kind: 'prop', p: this.propdef(t) };
      } else this.syntaxError();
      if (item.kind === 'prop') {
        for (let i = labels.length - 1; i >= 0; i--) addLabel(item.p.labels, labels[i]!);
        if (children.length > 0) {
          this.session.error('Error', span(start.pos, this.prev!.pos), 'Properties must precede subnodes');
          throw new Abort();
        }
        properties.push(item.p);
      } else {
        if (omit) item.n.omitIfNoRef = true;
        for (let i = labels.length - 1; i >= 0; i--) addLabel(item.n.labels, labels[i]!);
        children.push(item.n);
      }
    }
    this.take();
    const end = this.char(';');
    this.depth--;
    return liveNode(properties, children, span(open.pos, end.pos));
  }

  /** propdef after its name: '=' propdata ';' or ';'. */
  private propdef(name: Token): LiveProperty {
    if (this.isChar(';')) {
      const end = this.take();
      return { name: name.text, value: new Uint8Array(0), markers: [], labels: [], deleted: false, pos: span(name.pos, end.pos) };
    }
    this.char('=');
    const d = this.propdata();
    const end = this.char(';');
    return { name: name.text, value: d.value(), markers: d.markers, labels: [], deleted: false, pos: span(name.pos, end.pos) };
  }

  private propdata(): Data {
    const d = new Data();
    for (;;) {
      while (this.is('LABEL')) d.mark('label', this.take().text);
      const t = this.tok;
      if (t.kind === 'STRING') {
        this.take();
        d.mark('string');
        d.append(t.bytes!);
      } else if (t.kind === 'BITS' || (t.kind === 'CHAR' && t.text === '<')) {
        this.array(d);
      } else if (t.kind === 'CHAR' && t.text === '[') {
        this.take();
        d.mark('u8');
        for (;;) {
          if (this.is('BYTE')) d.appendInteger(this.take().value, 8);
          else if (this.is('LABEL')) d.mark('label', this.take().text);
          else break;
        }
        this.char(']');
      } else if (t.kind === 'LABEL_REF' || t.kind === 'PATH_REF') {
        this.take();
        d.mark('string', t.text);
        d.mark('path-ref', t.text);
      } else if (t.kind === 'INCBIN') {
        this.incbin(d);
      } else this.syntaxError();
      while (this.is('LABEL')) d.mark('label', this.take().text);
      if (!this.isChar(',')) return d;
      this.take();
    }
  }

  private incbin(d: Data): void {
    this.take();
    this.char('(');
    const nameTok = this.expect('STRING');
    let offset = 0n;
    let length: bigint | undefined;
    if (this.isChar(',')) {
      this.take();
      offset = this.integerPrim().value;
      this.char(',');
      length = this.integerPrim().value;
    }
    this.char(')');
    const b = nameTok.bytes!;
    const name = String.fromCharCode(...b.subarray(0, b.indexOf(0)));
    const file = this.session.open(name, this.lexer.currentDir(), nameTok.pos).bytes;
    const start = offset > BigInt(file.length) ? file.length : Number(offset);
    const end = length === undefined || BigInt(start) + length > BigInt(file.length) ? file.length : start + Number(length);
    d.mark('none');
    d.append(file.subarray(start, end));
  }

  /** arrayprefix '>': [/bits/ N] '<' cells, references and labels '>'. */
  private array(d: Data): void {
    let bits = 32;
    if (this.is('BITS')) {
      this.take();
      const n = this.expect('LITERAL');
      if (n.value === 8n || n.value === 16n || n.value === 32n || n.value === 64n) bits = Number(n.value);
      else this.session.error('Error', n.pos, 'Array elements must be 8, 16, 32 or 64-bits');
    }
    this.char('<');
    d.mark(bits === 8 ? 'u8' : bits === 16 ? 'u16' : bits === 64 ? 'u64' : 'u32');
    const mask = bits === 64 ? 0xffffffffffffffffn : (1n << BigInt(bits)) - 1n;
    for (;;) {
      const t = this.tok;
      if (t.kind === 'LITERAL' || t.kind === 'CHAR_LITERAL' || (t.kind === 'CHAR' && t.text === '(')) {
        const { value, pos } = this.integerPrim();
        if (bits < 64 && value > mask && (value | mask) !== 0xffffffffffffffffn) {
          this.session.error('Error', pos, `Value out of range for ${bits}-bit array element`);
        }
        d.appendInteger(value, bits);
      } else if (t.kind === 'LABEL_REF' || t.kind === 'PATH_REF') {
        this.take();
        if (bits === 32) d.mark('phandle-ref', t.text);
        else this.session.error('Error', t.pos, 'References are only allowed in arrays with 32-bit elements.');
        d.appendInteger(mask, bits);
      } else if (t.kind === 'LABEL') {
        this.take();
        d.mark('label', t.text);
      } else break;
    }
    this.char('>');
  }

  // Integer expressions, C's precedence, as dtc's grammar lays it out.

  private integerPrim(): { value: bigint; pos: SourcePosition } {
    const t = this.tok;
    if (t.kind === 'LITERAL' || t.kind === 'CHAR_LITERAL') {
      this.take();
      return { value: t.value, pos: t.pos };
    }
    if (t.kind === 'CHAR' && t.text === '(') {
      this.take();
      this.enter();
      const { value } = this.expr();
      this.depth--;
      const close = this.char(')');
      return { value, pos: span(t.pos, close.pos) };
    }
    this.syntaxError();
  }

  private expr(): { value: bigint; pos: SourcePosition } {
    const c = this.binary(0);
    if (!this.isChar('?')) return c;
    this.take();
    this.enter();
    const a = this.expr();
    this.char(':');
    const b = this.expr();
    this.depth--;
    return { value: c.value !== 0n ? a.value : b.value, pos: span(c.pos, b.pos) };
  }

  /** Binary operators by level, loosest first: || && | ^ & (== !=) (< > <= >=) (<< >>) (+ -) (* / %). */
  private binary(level: number): { value: bigint; pos: SourcePosition } {
    if (level === LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = operatorAt(this.tok, level);
      if (op === undefined) return left;
      this.take();
      const right = this.binary(level + 1);
      const pos = span(left.pos, right.pos);
      let value: bigint;
      const a = left.value;
      const b = right.value;
      switch (op) {
        case '||': value = a !== 0n || b !== 0n ? 1n : 0n; break;
        case '&&': value = a !== 0n && b !== 0n ? 1n : 0n; break;
        case '|': value = a | b; break;
        case '^': value = a ^ b; break;
        case '&': value = a & b; break;
        case '==': value = a === b ? 1n : 0n; break;
        case '!=': value = a !== b ? 1n : 0n; break;
        case '<': value = a < b ? 1n : 0n; break;
        case '>': value = a > b ? 1n : 0n; break;
        case '<=': value = a <= b ? 1n : 0n; break;
        case '>=': value = a >= b ? 1n : 0n; break;
        case '<<': value = b < 64n ? U64(a << b) : 0n; break;
        case '>>': value = b < 64n ? a >> b : 0n; break;
        case '+': value = U64(a + b); break;
        case '-': value = U64(a - b); break;
        case '*': value = U64(a * b); break;
        default:
          if (b === 0n) {
            this.session.error('Error', pos, 'Division by zero');
            value = 0n;
          } else value = op === '/' ? a / b : a % b;
      }
      left = { value, pos };
    }
  }

  private unary(): { value: bigint; pos: SourcePosition } {
    const t = this.tok;
    if (t.kind === 'CHAR' && (t.text === '-' || t.text === '~' || t.text === '!')) {
      this.take();
      this.enter();
      const v = this.unary();
      this.depth--;
      const value = t.text === '-' ? U64(-v.value) : t.text === '~' ? U64(~v.value) : v.value === 0n ? 1n : 0n;
      return { value, pos: span(t.pos, v.pos) };
    }
    return this.integerPrim();
  }
}

const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
const TOKEN_OPS: Partial<Record<TokenKind, string>> = { OR: '||', AND: '&&', EQ: '==', NE: '!=', LE: '<=', GE: '>=', LSHIFT: '<<', RSHIFT: '>>' };

function operatorAt(t: Token, level: number): string | undefined {
  const op = t.kind === 'CHAR' ? t.text : TOKEN_OPS[t.kind];
  return op !== undefined && LEVELS[level]!.includes(op) ? op : undefined;
}

/** Parse a DTS source (and what it includes) into a DeviceTree, or throw dtc's failure. */
export function parseDts(session: DtsSession, fileName: string, text: Uint8Array): DeviceTree {
  return new Parser(session, fileName, text).parse();
}
