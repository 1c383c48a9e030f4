/**
 * The mTLS mode a sidecar enforces on each port, read from the inbound listener it holds (its admin
 * `/config_dump`, Envoy's format), so that `meshctl local status` shows what is in force without
 * loading the Istio schemas and the Envoy protos to recompute it (that alone cost ~1 s of CPU).
 *
 * istiod's inbound chains (libs/xds inbound-listener.ts, Istio's getFilterChainMatchOptions) say the
 * mode by what they accept: a chain that terminates Istio mTLS has a transport socket; a plaintext one
 * matches `raw_buffer` (or anything, under DISABLE). STRICT has mTLS chains only, PERMISSIVE both,
 * DISABLE plaintext only. A port a service declares has chains matching its destination port; any
 * other port takes the passthrough chains, which match no port.
 */

interface FilterChain {
  filter_chain_match?: { destination_port?: { value?: number }; transport_protocol?: string };
  transport_socket?: unknown;
}

interface Listener {
  name?: string;
  filter_chains?: FilterChain[];
}

const VIRTUAL_INBOUND = 'virtualInbound';

/** The filter chains of the `virtualInbound` listener in a `/config_dump` answer; undefined without one. */
export function inboundChains(configDump: unknown): FilterChain[] | undefined {
  const configs = (configDump as { configs?: { dynamic_listeners?: unknown[] }[] } | undefined)?.configs;
  for (const config of configs ?? [])
    for (const entry of config.dynamic_listeners ?? []) {
      const listener = (entry as { active_state?: { listener?: Listener } }).active_state?.listener;
      if (listener?.name === VIRTUAL_INBOUND) return listener.filter_chains ?? [];
    }
  return undefined;
}

function modeOf(chains: readonly FilterChain[]): string {
  const mtls = chains.some((c) => c.transport_socket !== undefined);
  const plaintext = chains.some(
    (c) => c.transport_socket === undefined && c.filter_chain_match?.transport_protocol !== 'tls',
  );
  if (mtls) return plaintext ? 'PERMISSIVE' : 'STRICT';
  return plaintext ? 'DISABLE' : 'refuses all';
}

const passthrough = (chains: readonly FilterChain[]) =>
  chains.filter((c) => c.filter_chain_match?.destination_port === undefined);

/** The mode on `port`: its own chains, else the passthrough chains. */
function modeOnPort(chains: readonly FilterChain[], port: number): string {
  const own = chains.filter((c) => c.filter_chain_match?.destination_port?.value === port);
  return modeOf(own.length > 0 ? own : passthrough(chains));
}

/**
 * One mode when every port has it (the workload-wide one when it serves none), else `<port>:<mode>`
 * for each port.
 */
export function enforcedMtls(chains: readonly FilterChain[], ports: readonly number[]): string {
  const modes = ports.map((port) => modeOnPort(chains, port));
  if (new Set(modes).size <= 1) return modes[0] ?? modeOf(passthrough(chains));
  return ports.map((port, i) => `${port}:${modes[i]}`).join(' ');
}
