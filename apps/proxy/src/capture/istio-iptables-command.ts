import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

import { iptablesRestoreCommandFor } from './iptables-rules.js';
import { istioCaptureRules, istioCleanupRules } from './istio-iptables.js';
import type { CaptureOptions } from './capture-options.js';

/**
 * `mesh-proxy istio-iptables [flags]`: what Istio's init container runs (`pilot-agent istio-iptables`)
 * to send a pod's traffic through its sidecar, with the same short flags. Applies the rules with
 * `iptables-restore --noflush` in the current network namespace, or prints them with `--dry-run`;
 * `--cleanup` removes them. Returns the exit code.
 */

export const ISTIO_IPTABLES_USAGE = `usage: mesh-proxy istio-iptables [-p 15001] [-z 15006] [-u 1337] [-g GID] [-b '*'|PORTS]
                                 [-d PORTS] [-i '*'|CIDRS] [-x CIDRS] [-o PORTS] [--ipv6] [--dry-run] [--cleanup]`;

function ports(value: string | undefined): number[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((p) => Number(p.trim()));
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.split(',').map((v) => v.trim());
}

export function istioIptablesCommand(argv: readonly string[]): number {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        p: { type: 'string' },
        z: { type: 'string' },
        u: { type: 'string' },
        g: { type: 'string' },
        b: { type: 'string' },
        d: { type: 'string' },
        i: { type: 'string' },
        x: { type: 'string' },
        o: { type: 'string' },
        ipv6: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        cleanup: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`mesh-proxy istio-iptables: ${(err as Error).message}\n${ISTIO_IPTABLES_USAGE}`);
    return 2;
  }
  const options: CaptureOptions = {
    family: values.ipv6 ? 6 : 4,
    ...(values.p ? { proxyPort: Number(values.p) } : {}),
    ...(values.z ? { inboundCapturePort: Number(values.z) } : {}),
    ...(values.u ? { proxyUid: Number(values.u) } : {}),
    ...(values.g ? { proxyGid: Number(values.g) } : {}),
    ...(values.b !== undefined
      ? { includeInboundPorts: values.b === '*' ? '*' : (ports(values.b) ?? []) }
      : {}),
    ...(ports(values.d) ? { excludeInboundPorts: ports(values.d) } : {}),
    ...(values.i !== undefined
      ? { includeOutboundIpRanges: values.i === '*' ? '*' : (list(values.i) ?? []) }
      : {}),
    ...(list(values.x) ? { excludeOutboundIpRanges: list(values.x) } : {}),
    ...(ports(values.o) ? { excludeOutboundPorts: ports(values.o) } : {}),
  };
  let rules;
  try {
    rules = values.cleanup ? istioCleanupRules(options) : istioCaptureRules(options);
  } catch (err) {
    console.error(`mesh-proxy istio-iptables: ${(err as Error).message}`);
    return 2;
  }
  if (values['dry-run']) {
    process.stdout.write(rules.restoreText);
    return 0;
  }
  const restore = spawnSync(iptablesRestoreCommandFor(rules.family), ['--noflush'], {
    input: rules.restoreText,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (restore.error || restore.status !== 0) {
    console.error(`mesh-proxy istio-iptables: ${restore.error?.message ?? restore.stderr.trim()}`);
    return 1;
  }
  return 0;
}
