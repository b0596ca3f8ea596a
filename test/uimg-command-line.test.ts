/**
 * One command line (issue 12, item 4): the parser's own complaints in the project's one-line format with the
 * subcommand's help, "did you mean" for values as for commands and flags, one exit code per kind of mistake.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest } from '../src/cli/suggest.js';
import { FIXTURES, tempDir } from './helpers.js';
import { uimgIn } from './uimg-run.js';

const W = tempDir('uimg-command-line-');
const at = (name: string) => join(W, name);
writeFileSync(at('hello.txt'), 'hello\n');
copyFileSync(join(FIXTURES, 'mkimage/tv1.img'), at('tv1.img'));
const layout = readFileSync(join(FIXTURES, 'layouts/layout-sound.json'), 'utf8');
writeFileSync(at('kind.json'), layout.replace('"kind": "nand"', '"kind": "nnad"'));
writeFileSync(at('loader.json'), layout.replace('"loader": "at91bootstrap"', '"loader": "at91bootstrp"'));
writeFileSync(at('field.json'), layout.replace('"pageSize"', '"pagesize"'));

/** One stderr line, in the project's format: `uimg: ` + message + ` (hint: ...)`. */
async function oneError(args: string[]): Promise<{ code: number; line: string }> {
  const r = await uimgIn(args);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^uimg: [^\n]+ \(hint: [^\n]+\)$/);
  expect(r.stdout.toString()).toBe('');
  return { code: r.code, line: lines[0]! };
}

describe('the parser\'s own errors, in the one-line format with the help of the command they were typed for', () => {
  it.each([
    [['list'], "uimg: list: FILES missing: expected at least 1 argument, found 0 (hint: usage: uimg list <files..>; see 'uimg list --help')"],
    [['layout', 'check'], "uimg: layout check: FILE missing: expected at least 1 argument, found 0 (hint: usage: uimg layout check <file>; see 'uimg layout check --help')"],
    [['list', 'x', '--format', 'xml'], "uimg: --format: 'xml' is not one of text, json, mkimage (hint: see 'uimg list --help')"],
    [['list', 'x', '--typ', 'multi'], "uimg: --typ: not a flag of 'uimg list' (hint: see 'uimg list --help')"],
    [['create', 'x', '--typ', 'multi', '-o', 'y'], "uimg: --typ: not a flag of 'uimg create' (hint: did you mean --type?; see 'uimg create --help')"],
    [['layout', 'check', 'a', 'b'], "uimg: layout check: unexpected argument 'b' (hint: usage: uimg layout check <file>; see 'uimg layout check --help')"],
    [['create', 'x'], "uimg: create: --output is missing (hint: see 'uimg create --help')"],
    [['loader', 'uboot-env', '--from', 'a', '--layout', 'b'], "uimg: --from and --layout do not go together (hint: give one of them; see 'uimg loader uboot-env --help')"],
    [['layout'], "uimg: layout: name an action: check, map (hint: see 'uimg layout --help')"],
  ])('%j', async (args, line) => {
    const r = await oneError(args);
    expect(r).toEqual({ code: 2, line });
  });
});

describe('did you mean, for commands, flags and values', () => {
  it.each([
    [['crate', 'x'], "did you mean 'create'?"],
    [['layout', 'chek', 'x'], "did you mean 'check'?"],
    [['loader', 'uboot-en'], "did you mean 'uboot-env'?"],
    [['list', 'x', '--jsno'], 'did you mean --json?'],
    [['list', 'x', '--format', 'jsn'], "did you mean 'json'?"],
    [['create', 'hello.txt', '-o', 'x.img', '--type', 'kernal'], "did you mean 'kernel'?"],
    [['create', 'hello.txt', '-o', 'x.img', '--arch', 'arn'], "did you mean 'arm'?"],
    [['create', 'hello.txt', '-o', 'x.img', '-A', 'arm', '--os', 'linx'], "did you mean 'linux'?"],
    [['create', 'hello.txt', '-o', 'x.img', '-A', 'arm', '-C', 'gzp'], "did you mean 'gzip'?"],
    [['romimage', 'sh', '--zimage', 'z', '--board', 'kfr2r9', '-o', 'x'], "did you mean 'kfr2r09'?"],
    [['layout', 'check', 'kind.json'], "did you mean 'nand'?"],
    [['layout', 'check', 'loader.json'], "did you mean 'at91bootstrap'?"],
    [['layout', 'check', 'field.json'], "did you mean 'pageSize'?"],
  ])('%j', async (args, suggestion) => {
    const r = await oneError(args.map((a) => (a.endsWith('.json') || a === 'hello.txt' || a === 'x.img' ? at(a) : a)));
    expect(r.code).toBe(args[0] === 'layout' && args[1] === 'check' && args[2] !== 'x' ? 4 : 2);
    expect(r.line).toContain(`(hint: ${suggestion}`);
  });

  it('suggests nothing when nothing is close, and never for one letter', () => {
    expect(closest('zzzzzz', ['kernel', 'ramdisk'])).toBeUndefined();
    expect(closest('Z', ['o', 'a', 'n'])).toBeUndefined();
    expect(closest('ramdsik', ['kernel', 'ramdisk'])).toBe('ramdisk');
    expect(closest('kernel_no', ['kernel', 'kernel_noload'])).toBe('kernel_noload');
  });
});

describe('one exit code per kind of mistake', () => {
  it('a type uimg create cannot write and a misspelt one are both command-line mistakes: exit 2', async () => {
    const unsupported = await oneError(['create', at('hello.txt'), '-o', at('x.img'), '--type', 'kwbimage']);
    const misspelt = await oneError(['create', at('hello.txt'), '-o', at('x.img'), '--type', 'kernal']);
    expect([unsupported.code, misspelt.code]).toEqual([2, 2]);
    expect(unsupported.line).toContain("--type: 'kwbimage' is not a legacy image type");
  });
});
