import { join } from 'node:path';

import { PLUG_IN_CA_FILES, STATE_FILES } from '@mesh/pki';

import type { IstiodPorts } from '../readiness/readiness-report.js';
import { MeshProgram, programCommandLine, type ProgramLaunchOptions } from '../process/mesh-program.js';
import { istiodArgs, type IstiodOptions } from './istiod-args.js';

/** A launched istiod always has its plaintext port (the launcher never turns it off). */
export type LaunchedIstiodPorts = IstiodPorts & { xdsPort: number };

export type IstiodProcess = MeshProgram<'istiod'> & { readonly ready: Promise<LaunchedIstiodPorts> };

/**
 * Starts istiod; `await istiod.ready` gives its ports once it serves, or the reason it cannot (a
 * port in use, unusable CA material, a bad flag) as soon as it says so.
 */
export function startIstiod(options: IstiodOptions, launch: ProgramLaunchOptions): IstiodProcess {
  const argv = programCommandLine('istiod', istiodArgs(options), launch);
  // `istiodArgs` always gives `--xds-port` a number, so the report's xdsPort is never null.
  return new MeshProgram('istiod', argv, launch) as IstiodProcess;
}

/** `host:port` of istiod's TLS port (mTLS xDS, the CA, renewals), as sidecars dial it. */
export function secureXdsAddress(host: string, ports: Pick<IstiodPorts, 'secureXdsPort'>): string {
  return `${host.includes(':') ? `[${host}]` : host}:${ports.secureXdsPort}`;
}

/**
 * istiod's root certificate, what clients of its TLS port trust: the plug-in CA's root when istiod has
 * one, else the self-signed root it keeps in its state directory.
 */
export function istiodRootCert(options: Pick<IstiodOptions, 'stateDir' | 'caDir'>): string {
  return options.caDir === undefined
    ? join(options.stateDir, STATE_FILES.rootCert)
    : join(options.caDir, PLUG_IN_CA_FILES.rootCert);
}
