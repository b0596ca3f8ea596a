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
  'cpio-checksum': { id: 'cpio-checksum', severity: 'error', summary: 'a crc-format (070702) entry\'s data does not add up to its header\'s sum' },
  'cpio-no-trailer': { id: 'cpio-no-trailer', severity: 'warning', summary: 'a cpio archive ends without its TRAILER!!! entry' },
  'cpio-trailing-data': { id: 'cpio-trailing-data', severity: 'warning', summary: 'bytes after the last cpio archive that were not read' },
  'cpio-unsafe-name': { id: 'cpio-unsafe-name', severity: 'warning', summary: 'an absolute cpio name or one with \'..\' (extraction refuses it)' },
  'cpio-duplicate-name': { id: 'cpio-duplicate-name', severity: 'warning', summary: 'a cpio name appears twice: the later entry replaces the earlier' },
  'cpio-no-init': { id: 'cpio-no-init', severity: 'info', summary: 'an initramfs without /init: the kernel runs nothing from it unless rdinit= says' },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function finding(rule: RuleId, message: string, hint?: string, offset?: number): Finding {
  return { rule, severity: RULES[rule].severity, message, ...(hint ? { hint } : {}), ...(offset !== undefined ? { offset } : {}) };
}
