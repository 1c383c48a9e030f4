import { durationMs } from '@mesh/xds';

/**
 * Envoy's outlier detection, consecutive-errors flavour (what Istio's DestinationRule
 * `outlierDetection` turns on): an endpoint that answers `consecutive_5xx` 5xx responses (or
 * connection failures) in a row, or `consecutive_gateway_failure` 502/503/504s, is ejected for
 * `base_ejection_time` × the number of times it was ejected, as long as no more than
 * `max_ejection_percent` of the cluster is out. Success resets the counters.
 */

type Obj = Record<string, unknown>;

interface OutlierConfig {
  consecutive5xx?: number;
  consecutiveGatewayFailure?: number;
  baseEjectionMs: number;
  maxEjectionPercent: number;
}

interface EndpointRecord {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  ejectedUntil: number;
}

function uint(value: unknown): number | undefined {
  const v = (value as { value?: number } | undefined)?.value;
  return typeof v === 'number' ? v : undefined;
}

/** Envoy's defaults apply to absent fields: 5 consecutive 5xx, 30 s base ejection, 10 % max. */
export function outlierConfigOf(cluster: Obj): OutlierConfig | undefined {
  const od = cluster['outlier_detection'] as Obj | undefined;
  if (!od) return undefined;
  const enforcing5xx = uint(od['enforcing_consecutive_5xx']) ?? 100;
  const enforcingGateway = uint(od['enforcing_consecutive_gateway_failure']) ?? 0;
  const consecutive5xx = uint(od['consecutive_5xx']) ?? 5;
  const consecutiveGateway = uint(od['consecutive_gateway_failure']) ?? 5;
  return {
    ...(enforcing5xx > 0 && consecutive5xx > 0 ? { consecutive5xx } : {}),
    ...(enforcingGateway > 0 && consecutiveGateway > 0
      ? { consecutiveGatewayFailure: consecutiveGateway }
      : {}),
    baseEjectionMs: durationMs(od['base_ejection_time']) ?? 30_000,
    maxEjectionPercent: uint(od['max_ejection_percent']) ?? 10,
  };
}

export class OutlierDetector {
  readonly #records = new Map<string, EndpointRecord>();

  constructor(
    private config: OutlierConfig,
    private readonly now: () => number = Date.now,
  ) {}

  reconfigure(config: OutlierConfig): void {
    this.config = config;
  }

  #record(key: string): EndpointRecord {
    let record = this.#records.get(key);
    if (!record) {
      record = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, ejectedUntil: 0 };
      this.#records.set(key, record);
    }
    return record;
  }

  isEjected(key: string): boolean {
    return (this.#records.get(key)?.ejectedUntil ?? 0) > this.now();
  }

  /** Records the result of a request to `key` (HTTP status, or 0 for a connection failure). */
  report(key: string, status: number, endpointCount: number): void {
    const record = this.#record(key);
    const isError = status === 0 || status >= 500;
    const isGateway = status === 0 || status === 502 || status === 503 || status === 504;
    record.consecutive5xx = isError ? record.consecutive5xx + 1 : 0;
    record.consecutiveGateway = isGateway ? record.consecutiveGateway + 1 : 0;
    const trip =
      (this.config.consecutive5xx !== undefined && record.consecutive5xx >= this.config.consecutive5xx) ||
      (this.config.consecutiveGatewayFailure !== undefined &&
        record.consecutiveGateway >= this.config.consecutiveGatewayFailure);
    if (!trip || this.isEjected(key)) return;
    const ejected = [...this.#records.values()].filter((r) => r.ejectedUntil > this.now()).length;
    // Envoy always allows at least one ejection, even when the percentage rounds down to zero.
    const allowed = Math.max(1, Math.floor((endpointCount * this.config.maxEjectionPercent) / 100));
    if (ejected >= allowed) return;
    record.ejections++;
    record.ejectedUntil = this.now() + this.config.baseEjectionMs * record.ejections;
    record.consecutive5xx = 0;
    record.consecutiveGateway = 0;
  }
}
