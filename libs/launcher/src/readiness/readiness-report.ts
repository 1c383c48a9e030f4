/**
 * The readiness contract between a launcher and the programs it starts (istiod, mesh-proxy): started
 * with `--ready-fd N`, a program writes exactly one JSON document and a newline to descriptor N, then
 * closes it —
 *
 *   {"ready":true,"ports":{"xdsPort":15010,"secureXdsPort":15012,"monitoringPort":15014}}
 *   {"ready":false,"reason":"listen EADDRINUSE: address already in use 127.0.0.1:15012"}
 *
 * — the first when it serves, the second as soon as it knows it never will (it then exits). A launcher
 * waits for that line instead of parsing a log sentence, so a start-up failure is reported at once, with
 * the program's own reason.
 */

/** The flag both programs take: the number of an open descriptor (a pipe from the launcher). */
export const READY_FD_FLAG = '--ready-fd';

/** Each port under the name of the flag that sets it, as bound (`0` asks for a free port). */
export interface IstiodPorts {
  /** Null when the plaintext port is off (`--xds-port off`). */
  xdsPort: number | null;
  secureXdsPort: number;
  monitoringPort: number;
}

export interface ProxyPorts {
  adminPort: number;
  outboundPort: number;
  inboundPort: number;
  statusPort: number;
  statsPort: number;
}

export type ReadinessReport<Ports> = { ready: true; ports: Ports } | { ready: false; reason: string };

/** The port names each program reports, and which of them may be null. */
export const REPORTED_PORTS = {
  istiod: { names: ['xdsPort', 'secureXdsPort', 'monitoringPort'], nullable: ['xdsPort'] },
  'mesh-proxy': {
    names: ['adminPort', 'outboundPort', 'inboundPort', 'statusPort', 'statsPort'],
    nullable: [],
  },
} as const satisfies Record<string, { names: readonly string[]; nullable: readonly string[] }>;

export type ReportingProgram = keyof typeof REPORTED_PORTS;

export interface PortsOf {
  istiod: IstiodPorts;
  'mesh-proxy': ProxyPorts;
}

/** A readiness document that breaks the contract: the launcher treats it as a failed start. */
export class ReadinessReportError extends Error {
  override readonly name = 'ReadinessReportError';
  readonly code = 'READINESS_REPORT_INVALID';
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

/** Parses one line a program wrote to its readiness descriptor; throws `ReadinessReportError`. */
export function parseReadinessReport<P extends ReportingProgram>(
  program: P,
  line: string,
): ReadinessReport<PortsOf[P]> {
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch {
    throw new ReadinessReportError(`not JSON: ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new ReadinessReportError('not a JSON object');
  const { ready, reason, ports } = document as Record<string, unknown>;
  if (ready === false) {
    if (typeof reason !== 'string' || reason.trim() === '')
      throw new ReadinessReportError('reason: a non-empty string is required when ready is false');
    return { ready: false, reason };
  }
  if (ready !== true) throw new ReadinessReportError('ready: must be true or false');
  if (typeof ports !== 'object' || ports === null || Array.isArray(ports))
    throw new ReadinessReportError('ports: an object is required when ready is true');
  const expected = REPORTED_PORTS[program];
  for (const name of expected.names) {
    const value = (ports as Record<string, unknown>)[name];
    const nullable = (expected.nullable as readonly string[]).includes(name);
    if (!isPort(value) && !(nullable && value === null))
      throw new ReadinessReportError(
        `ports.${name}: ${JSON.stringify(value)} is not a port number${nullable ? ' or null' : ''}`,
      );
  }
  const picked = Object.fromEntries(
    expected.names.map((name) => [name, (ports as Record<string, unknown>)[name]]),
  );
  return { ready: true, ports: picked as unknown as PortsOf[P] };
}
