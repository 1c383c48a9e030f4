/**
 * `@mesh/launcher/readiness`: the readiness contract alone, for the programs that report on it
 * (istiod, mesh-proxy) without loading the launcher itself.
 */
export {
  parseReadinessReport,
  READY_FD_FLAG,
  ReadinessReportError,
  REPORTED_PORTS,
  type IstiodPorts,
  type PortsOf,
  type ProxyPorts,
  type ReadinessReport,
  type ReportingProgram,
} from './readiness-report.js';
export { parseReadyFd, ReadinessReporter } from './readiness-reporter.js';
