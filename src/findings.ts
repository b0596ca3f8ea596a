/**
 * Findings: something suspicious in an image that still parses or builds. Returned as data, never thrown; each comes
 * from a rule in RULES (id, severity, what it means), so the README and --json can list them.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Rule {
  id: string;
  severity: Severity;
  summary: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
  offset?: number;
}

export const RULES = {
  'implicit-arch': { id: 'implicit-arch', severity: 'warning', summary: 'no architecture given: mkimage defaults to PowerPC' },
  'implicit-comp': { id: 'implicit-comp', severity: 'warning', summary: 'no compression given: mkimage labels the data gzip' },
  'name-truncated': { id: 'name-truncated', severity: 'warning', summary: 'the name is longer than the 32-byte field' },
  'comp-mismatch': { id: 'comp-mismatch', severity: 'warning', summary: 'the compression label does not match the data' },
  'entry-outside': { id: 'entry-outside', severity: 'warning', summary: 'the entry point lies outside [load, load + size)' },
  'rom-no-dtb': { id: 'rom-no-dtb', severity: 'warning', summary: 'an ARM ROM image without a DTB: the kernel gets r2 = 0' },
  'rom-zimage-high': { id: 'rom-zimage-high', severity: 'warning', summary: 'an ARM ROM image copies the zImage outside the first 128 MiB of RAM' },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function finding(rule: RuleId, message: string, hint?: string, offset?: number): Finding {
  return { rule, severity: RULES[rule].severity, message, ...(hint ? { hint } : {}), ...(offset !== undefined ? { offset } : {}) };
}
