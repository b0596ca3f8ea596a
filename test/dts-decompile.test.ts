/**
 * The decompiler and the checks against the real dtc 1.6.1: for blobs dtc compiled from sources written here (and
 * random ones), our `-I dtb -O dts` stdout, stderr and exit code equal dtc's.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckSwitch } from '../src/formats/fdt/dts/checks.js';
import { DTC_SKIP, haveDtc, ourDecompile, tool } from './dtc-tools.js';
import { tempDir } from './helpers.js';
import { skipped } from './skip.js';

if (!haveDtc) skipped('dts decompile differential', DTC_SKIP);

const dir = tempDir('uimg-dts-');

/** Compile with the real dtc (forced, so blobs dtc's checks dislike exist too) and return the blob. */
function compile(name: string, source: string): Uint8Array {
  const src = join(dir, `${name}.dts`);
  writeFileSync(src, source);
  const r = tool('dtc', ['-q', '-q', '-q', '-f', '-I', 'dts', '-O', 'dtb', '-o', join(dir, `${name}.dtb`), src]);
  if (r.status !== 0) throw new Error(`dtc failed on ${name}: ${r.stderr}`);
  return new Uint8Array(readFileSync(join(dir, `${name}.dtb`)));
}

function expectSameAsDtc(name: string, blob: Uint8Array, switches: CheckSwitch[] = [], force = false): void {
  const file = join(dir, `${name}.in.dtb`);
  writeFileSync(file, blob);
  const args = [...switches.map((s) => `-${s.kind}${s.name}`), ...(force ? ['-f'] : []), '-I', 'dtb', '-O', 'dts', file];
  const real = tool('dtc', args);
  const ours = ourDecompile(blob, switches, force);
  expect(ours.stderr, `${name}: stderr`).toBe(real.stderr);
  expect(ours.stdout, `${name}: stdout`).toBe(real.stdout);
  expect(ours.status, `${name}: exit code`).toBe(real.status);
}

const SOURCES: Record<string, string> = {
  values: `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
/memreserve/ 0xffffffff00000000 0x100000000;
/ {
  model = "Board \\"x\\"\\t1";
  compatible = "vendor,board", "vendor,soc";
  empty;
  nul = [00];
  nuls = [00 00];
  two-strings-one-empty = "", "a";
  mostly-nul = [61 00 00 00];
  half = [61 62 00 00];
  ctrl = "a\\x01b";
  high = [c3 a9 00];
  bell = "\\a\\b\\f\\v\\r\\n";
  cells = <1 2 0xffffffff>;
  cell64 = /bits/ 64 <0x123456789abcdef0>;
  odd = [01 02 03];
  bytes6 = [01 02 03 04 05 06];
  no-nul = "abcd", "efg";
  printable-cell = <0x41424344>;
  printable-cell-nul = <0x41424300>;
  backslash = "a\\\\b";
  u16 = /bits/ 16 <1 2>;
  chars = <'a' 'b'>;
  child { deep { deeper { x = "y"; }; }; };
};
`,
  phandles: `/dts-v1/;
/ {
  #address-cells = <1>;
  #size-cells = <1>;
  interrupt-parent = <&gic>;
  gic: interrupt-controller@1000 { compatible = "arm,gic"; reg = <0x1000 0x100>; interrupt-controller; #interrupt-cells = <3>; #address-cells = <0>; };
  clk: clock { #clock-cells = <1>; compatible = "fixed-clock"; };
  gpio: gpio@2000 { reg = <0x2000 0x10>; gpio-controller; #gpio-cells = <2>; };
  dev@3000 { reg = <0x3000 0x10>; clocks = <&clk 1>, <&clk 2>; interrupts = <0 1 4>; reset-gpios = <&gpio 3 0>; status = "okay"; };
  aliases { serial0 = &gic; bad-alias = "/nope"; Upper = "/clock"; };
  chosen { bootargs = "console=ttyS0"; stdout-path = "serial0:115200n8"; };
};
`,
  warnings: `/dts-v1/;
/ {
  node-vs-prop = "x";
  node@1 { };
  reg-no-unit { reg = <1 2 3>; };
  soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges;
    uart@0x100 { reg = <0x100 0x10>; };
    timer@0200 { reg = <0x200 0x10>; };
    wrong@5 { reg = <0x6 1>; };
    nothing@7 { };
    i2c@1000 { reg = <0x1000 0x100>; #address-cells = <1>; #size-cells = <0>;
      eeprom@50 { reg = <0x50>; }; bad@51 { reg = <0x52>; }; big@200 { reg = <0x200>; }; };
    spi@2000 { reg = <0x2000 0x100>; #address-cells = <1>; #size-cells = <0>; flash@0 { reg = <0>; }; flash@2 { reg = <1>; }; };
    pci@3000 { device_type = "pci"; reg = <0x3000 0x100>; #address-cells = <3>; #size-cells = <2>; bus-range = <2 1>;
      dev@1,2 { reg = <0x0a00 0 0>; }; };
    dup@400 { reg = <0x400 4>; }; dup2@400 { reg = <0x400 4>; };
  };
  unneeded { #address-cells = <1>; #size-cells = <0>; child { }; };
  chosen { bootargs = <1>; linux,stdout-path = "/soc"; interrupt-controller; };
  sub { chosen { }; };
  ports { #address-cells = <1>; #size-cells = <0>; port@0 { reg = <0>; ep: endpoint { remote-endpoint = <&ep2>; }; }; };
  other { port { ep2: endpoint { remote-endpoint = <&ep3>; }; }; };
  third { port { ep3: endpoint@1 { reg = <1>; }; }; };
  gpio-user { foo-gpio = <0>; gpios = <0>; };
  irq-user { interrupts = <1 2 3>; };
  ctl: ctl { interrupt-map = <>; };
  irq-user2 { interrupt-parent = <&ctl>; interrupts = <1>; };
  irq-user3 { interrupt-parent = <0>; interrupts = <1>; };
  irq-user4 { interrupt-parent = <0x77>; interrupts = <1>; };
  clocks-user { clocks = <0x99>; resets = <3>; };
  node-vs-prop { };
};
`,
  buses: `/dts-v1/;
/ {
  #address-cells = <1>; #size-cells = <1>;
  soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges;
    uart@0x100 { reg = <0x100 0x10>; };
    timer@0200 { reg = <0x200 0x10>; };
    wrong@5 { reg = <0x6 1>; };
    nothing@7 { };
    noreg { };
    bus@8 { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0x9 0x10>; };
    i2c@1000 { reg = <0x1000 0x100>; #address-cells = <1>; #size-cells = <0>;
      eeprom@50 { reg = <0x50>; }; bad@51 { reg = <0x52>; }; big@200 { reg = <0x200>; }; ten@1234 { reg = <0x80001234>; };
      noreg@3 { }; };
    i2c@1100 { reg = <0x1100 0x100>; #address-cells = <2>; #size-cells = <1>; x@1 { reg = <1 0 0>; }; };
    spi@2000 { reg = <0x2000 0x100>; #address-cells = <1>; #size-cells = <0>; flash@0 { reg = <0>; }; flash@2 { reg = <1>; }; norg@3 { }; };
    myspi@2100 { reg = <0x2100 0x100>; #address-cells = <1>; #size-cells = <0>; dev@0 { reg = <0>; spi-max-frequency = <1>; }; };
    spi@2200 { reg = <0x2200 0x100>; spi-slave; #address-cells = <0>; #size-cells = <0>; slave { }; };
    pci@3000 { device_type = "pci"; reg = <0x3000 0x100>; #address-cells = <3>; #size-cells = <2>; bus-range = <0 0x100>; ranges;
      dev@1,2 { reg = <0x0a00 0 0 0 0>; }; dev@2 { reg = <0x1000 0 0 0 0>; }; bad@3 { reg = <0x01011801 1 0 0 0>; }; };
    pcie@4000 { device_type = "pci"; reg = <0x4000 0x100>; #address-cells = <2>; #size-cells = <2>; ranges; };
    host@5000 { device_type = "pci"; reg = <0x5000 0x100>; #address-cells = <3>; #size-cells = <2>; ranges; bus-range = <1>; };
    dup@400 { reg = <0x400 4>; }; dup@0400 { reg = <0x400 4>; status = "disabled"; }; dupe@400 { reg = <0x400 4>; };
  };
  unneeded { #address-cells = <1>; #size-cells = <0>; child { }; };
  needed { #address-cells = <1>; #size-cells = <0>; child@1 { reg = <1>; }; };
  other@0x10 { reg = <0x10 1>; };
  zero@010 { reg = <0x10 1>; };
  ports { #address-cells = <1>; #size-cells = <0>; port@0 { reg = <0>; #address-cells = <1>; #size-cells = <0>; endpoint@2 { reg = <3>; }; }; };
  dev@100 { reg = <0x100 1>; port { ep: endpoint { remote-endpoint = <&ep2>; }; }; };
  dev@200 { reg = <0x200 1>; port { ep2: endpoint { remote-endpoint = <&ep>; }; }; };
  cont { #address-cells = <1>; #size-cells = <0>; prt@300 { reg = <0x301>; #address-cells = <1>; #size-cells = <0>; conn@1 { reg = <1>; remote-endpoint = <0x5555>; }; }; };
};
`,
  devices: `/dts-v1/;
/ {
  #address-cells = <1>; #size-cells = <1>;
  other@0x10 { reg = <0x10 1>; };
  zero@010 { reg = <0x10 1>; };
  soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0 0x10000>;
    i2c@1000 { reg = <0x1000 0x100>; #address-cells = <1>; #size-cells = <0>;
      eeprom@50 { reg = <0x50>; }; bad@51 { reg = <0x52>; }; big@200 { reg = <0x200>; }; ten@1234 { reg = <0x80001234>; };
      own@10 { reg = <0x40000010 0x11>; }; noreg@3 { }; };
    spi@2000 { reg = <0x2000 0x100>; #address-cells = <1>; #size-cells = <0>; flash@0 { reg = <0>; }; flash@2 { reg = <1>; }; norg@3 { }; };
    spi@2200 { reg = <0x2200 0x100>; spi-slave; #address-cells = <0>; #size-cells = <0>; };
  };
  pci@3000 { device_type = "pci"; reg = <0x3000 0x100>; #address-cells = <3>; #size-cells = <2>; bus-range = <0 0x10>;
    ranges = <0 0 0 0 0 0>;
    dev@1,2 { reg = <0x0a00 0 0 0 0>; }; dev@2 { reg = <0x1000 0 0 0 0>; }; bad@3 { reg = <0x01011801 1 0 0 0>; };
    bus@4 { reg = <0x012000 0 0 0 0>; }; };
};
`,
  prereqs: `/dts-v1/;
/ {
  strange { #address-cells = <1 2>; #size-cells = <1>; x@1 { reg = <1 1>; }; };
  status-cell { status = <1>; device_type = <2>; model = <3>; label = <4>; compatible = <0x61626364>; clock-names = [61 62]; };
};
`,
  names: `/dts-v1/;
/ {
  right { name = "right"; a = <1>; };
  wrong { name = "other"; };
};
`,
  'bad-phandle': `/dts-v1/;
/ {
  a { phandle = <0>; };
  b { phandle = <1>; };
  c { phandle = <1>; };
  d { linux,phandle = <2>; phandle = <3>; };
  e { phandle = [01 02]; };
};
`,
  // dtc -f writes the duplicate nodes into the blob; reading it back, dtc stops at the first error check.
  dups: `/dts-v1/;
/ { a = <1>; n { }; n { }; m { x; }; bad#name { }; };
`,
  'name-chars': `/dts-v1/;
/ {
  a@1@2 { };
  ok { };
};
`,
  fit: `/dts-v1/;
/ {
  description = "x"; timestamp = <0x6553f100>; #address-cells = <1>;
  images { kernel-1 { data = [00 01 02 03 04 05 06 07 08 09]; type = "kernel"; load = <0x80008000>;
    hash-1 { value = <0x74e3fb41>; algo = "crc32"; }; }; };
  configurations { default = "conf-1"; conf-1 { kernel = "kernel-1"; }; };
};
`,
};

describe.skipIf(!haveDtc)('-I dtb -O dts as dtc 1.6.1', () => {
  for (const [name, source] of Object.entries(SOURCES)) {
    it(`${name}: same text, messages and exit code`, () => expectSameAsDtc(name, compile(name, source)));
  }

  it('-W/-E switches and -f change messages and exit codes as in dtc', () => {
    const warnings = compile('sw-warnings', SOURCES.warnings!);
    const bad = compile('sw-bad', SOURCES['bad-phandle']!);
    const cases: [Uint8Array, CheckSwitch[], boolean][] = [
      [warnings, [{ kind: 'W', name: 'no-unit_address_vs_reg' }, { kind: 'W', name: 'no-reg_format' }], false],
      [warnings, [{ kind: 'W', name: 'no-addr_size_cells' }], false],
      [warnings, [{ kind: 'E', name: 'unit_address_vs_reg' }], false],
      [warnings, [{ kind: 'E', name: 'simple_bus_reg' }], true],
      [warnings, [{ kind: 'W', name: 'deprecated_gpio_property' }, { kind: 'W', name: 'node_name_chars_strict' }, { kind: 'W', name: 'property_name_chars_strict' }], false],
      [warnings, [{ kind: 'W', name: 'unique_unit_address_if_enabled' }, { kind: 'W', name: 'always_fail' }], false],
      [warnings, [{ kind: 'E', name: 'always_fail' }], false],
      [bad, [], true],
      [bad, [{ kind: 'E', name: 'no-explicit_phandles' }], false],
      [bad, [{ kind: 'E', name: 'no_explicit_phandles' }, { kind: 'W', name: 'explicit_phandles' }], false],
    ];
    cases.forEach(([blob, switches, force], i) => expectSameAsDtc(`switches-${i}`, blob, switches, force));
  });

  it('an unknown check name is refused as dtc refuses it', () => {
    const real = tool('dtc', ['-Wno-such_check', '-I', 'dtb', '-O', 'dts', '/dev/null']);
    expect(real.stderr).toBe('FATAL ERROR: Unrecognized check name "such_check"\n');
    expect(() => ourDecompile(compile('unknown', SOURCES.names!), [{ kind: 'W', name: 'no-such_check' }])).toThrow('Unrecognized check name "such_check"');
  });

  it('random trees of random values: same text as dtc', () => {
    // Values biased to what decides dtc's guess: printable bytes, NULs, control characters, high bytes.
    const byte = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 7, max: 13 }));
    const value = fc.array(byte, { maxLength: 24 });
    const name = fc.stringMatching(/^[a-z][a-z0-9,._+-]{0,8}$/).filter((n) => n !== 'name' && n !== 'phandle');
    const props = fc.uniqueArray(fc.tuple(name, value), { maxLength: 6, selector: (p) => p[0] });
    const leaf = fc.record({ props, kids: fc.constant([] as unknown[]) });
    const node = fc.record({ props, kids: fc.uniqueArray(fc.tuple(name, leaf), { maxLength: 3, selector: (k) => k[0] }) });
    type N = { props: [string, number[]][]; kids: unknown[] };
    const body = (n: N): string => n.props.map(([k, v]) => `${k} = [${v.map((b) => b.toString(16).padStart(2, '0')).join(' ')}];`).join(' ')
      + (n.kids as [string, N][]).map(([k, c]) => ` ${k}@${k.length} { ${body(c)} };`).join('');
    let i = 0;
    fc.assert(fc.property(node, (root) => {
      const name = `random-${i++}`;
      expectSameAsDtc(name, compile(name, `/dts-v1/;\n/ { ${body(root as N)} };\n`));
    }), { numRuns: 120 });
  });
});

describe.skipIf(!haveDtc)('FITs made by the real mkimage, decompiled', () => {
  it('mkimage -f auto and an .its FIT: same text as dtc', () => {
    const d = join(dir, 'fit');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'kernel.bin'), Buffer.from('kernel image bytes \x00\x01\x02'.repeat(50)));
    writeFileSync(join(d, 'ramdisk.bin'), Buffer.alloc(300, 7));
    const dtb = compile('fit-board', SOURCES.phandles!);
    writeFileSync(join(d, 'board.dtb'), dtb);
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const mk = (args: string[]) => {
      const r = tool('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'mkimage', ...args], d);
      if (r.status !== 0) throw new Error(r.stderr + r.stdout);
    };
    mk(['-f', 'auto', '-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x80008000', '-n', 'Linux', '-d', 'kernel.bin', '-b', 'board.dtb', '-i', 'ramdisk.bin', 'auto.itb']);
    writeFileSync(join(d, 'x.its'), `/dts-v1/;
/ { description = "its"; #address-cells = <1>;
  images { kernel { data = /incbin/("kernel.bin"); type = "kernel"; arch = "arm"; os = "linux"; compression = "none"; load = <0x80008000>; entry = <0x80008000>;
    hash-1 { algo = "sha256"; }; hash-2 { algo = "crc32"; }; }; };
  configurations { default = "conf"; conf { kernel = "kernel"; }; }; };
`);
    mk(['-f', 'x.its', 'its.itb']);
    mk(['-E', '-f', 'x.its', 'its-external.itb']);
    for (const f of ['auto.itb', 'its.itb', 'its-external.itb']) expectSameAsDtc(f, new Uint8Array(readFileSync(join(d, f))));
  });
});
