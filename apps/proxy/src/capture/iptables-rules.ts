/**
 * A small model of what istio-iptables writes (chains and `-A` rules in one table) and its two
 * renderings: the text `iptables-restore --noflush` applies atomically, and one argv per rule for
 * running `iptables` command by command (what a debugging user would type).
 */

/** One rule: `-t <table> <operation> <chain> <match...>`. */
export interface IptablesRule {
  table: 'nat';
  /** `-A` appends, `-D` deletes the identical rule, `-F` flushes and `-X` deletes a chain. */
  operation: '-N' | '-A' | '-D' | '-F' | '-X';
  chain: string;
  /** Matches and target, e.g. `['-p', 'tcp', '-j', 'ISTIO_INBOUND']`; empty for chain operations. */
  args: readonly string[];
}

/** A complete, ordered set of rules for one address family, ready to apply. */
export interface IptablesRuleSet {
  /** 4: apply with `iptables` / `iptables-restore`; 6: with `ip6tables` / `ip6tables-restore`. */
  family: 4 | 6;
  rules: readonly IptablesRule[];
  /** Input for `iptables-restore --noflush` (or `ip6tables-restore`): one `*nat ... COMMIT` block. */
  restoreText: string;
  /** The same rules as argv arrays, e.g. `['iptables', '-t', 'nat', '-A', 'OUTPUT', '-j', 'ISTIO_OUTPUT']`. */
  commands: string[][];
}

export function iptablesCommandFor(family: 4 | 6): 'iptables' | 'ip6tables' {
  return family === 4 ? 'iptables' : 'ip6tables';
}

export function iptablesRestoreCommandFor(family: 4 | 6): 'iptables-restore' | 'ip6tables-restore' {
  return family === 4 ? 'iptables-restore' : 'ip6tables-restore';
}

/**
 * Quotes an argument only when iptables-restore's tokenizer would split it; none of the rules
 * generated here need it, but a chain or CIDR must never silently turn into two tokens.
 */
function restoreToken(arg: string): string {
  return /^[A-Za-z0-9_.:/,!*+=-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/**
 * Rules grouped by table in first-appearance order, each block closed by COMMIT. `--noflush` matters:
 * without it iptables-restore would first wipe every other rule of the table (Docker's, kube-proxy's).
 */
export function toRestoreText(rules: readonly IptablesRule[]): string {
  const tables = [...new Set(rules.map((r) => r.table))];
  const lines: string[] = [];
  for (const table of tables) {
    lines.push(`*${table}`);
    for (const rule of rules.filter((r) => r.table === table)) {
      lines.push([rule.operation, rule.chain, ...rule.args].map(restoreToken).join(' '));
    }
    lines.push('COMMIT');
  }
  return lines.map((line) => `${line}\n`).join('');
}

export function toCommands(family: 4 | 6, rules: readonly IptablesRule[]): string[][] {
  const command = iptablesCommandFor(family);
  return rules.map((r) => [command, '-t', r.table, r.operation, r.chain, ...r.args]);
}

export function ruleSet(family: 4 | 6, rules: readonly IptablesRule[]): IptablesRuleSet {
  return { family, rules, restoreText: toRestoreText(rules), commands: toCommands(family, rules) };
}

/** multiport takes at most 15 ports per rule (xt_multiport's XT_MULTI_PORTS). */
const MULTIPORT_MAX = 15;

/**
 * Destination-port matches for TCP/UDP rules: `--dport P` for one port (as istio-iptables writes it),
 * `-m multiport --dports a,b,...` for several, split into as many rules as multiport needs. Only for
 * positive matches: a negated list split over several rules would no longer mean "none of these".
 */
export function destinationPortMatches(ports: readonly number[]): string[][] {
  const groups: string[][] = [];
  for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
    const group = ports.slice(i, i + MULTIPORT_MAX);
    groups.push(
      group.length === 1 ? ['--dport', String(group[0])] : ['-m', 'multiport', '--dports', group.join(',')],
    );
  }
  return groups;
}
