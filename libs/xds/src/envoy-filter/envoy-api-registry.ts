import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type protobuf from 'protobufjs';

import { envoyProtoIncludeDirs, locateProtoFile, newEnvoyProtoRoot } from '../codec/proto-files.js';

/**
 * Every Envoy API message, by full name, as Istio's registry of Go proto types holds them (istiod links
 * all of go-control-plane, so a patch may name any Envoy extension). The codec's root (proto-root.ts)
 * holds only the messages the mesh speaks; loading the whole API takes seconds, so this registry loads
 * a package's files the first time one of its messages is asked for. Envoy lays its protos out by
 * package (`envoy.config.cluster.v3` in `envoy/config/cluster/v3/`), which is how a name finds its
 * files. protobufjs itself is required on first use too: `meshctl validate` imports this module, and
 * only an EnvoyFilter with a patch value should pay for protobufjs.
 */

const require = createRequire(import.meta.url);

/** The google/protobuf files protobufjs bundles: always importable. */
const BUNDLED = /^google\/protobuf\/[a-z_]+\.proto$/;
const WELL_KNOWN_FILES = ['any', 'duration', 'empty', 'field_mask', 'struct', 'timestamp', 'wrappers'].map(
  (name) => `google/protobuf/${name}.proto`,
);
const PROTO_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
const IMPORT = /^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm;

export class EnvoyApiRegistry {
  private root: protobuf.Root | undefined;
  /** Package directories tried, and whether they held loadable protos. */
  private readonly packages = new Map<string, boolean>();
  /** Proto files, by import path, and whether they and all they import can be read. */
  private readonly importable = new Map<string, boolean>();

  constructor(private readonly includeDirs: readonly string[] = envoyProtoIncludeDirs()) {}

  /** The message type of that full name (`envoy.config.cluster.v3.Cluster`), or undefined when no proto here defines it. */
  messageType(fullName: string): protobuf.Type | undefined {
    // Names come from patch values (type URLs): only proto names may become directory paths.
    if (!PROTO_NAME.test(fullName)) return undefined;
    const segments = fullName.split('.');
    // A nested message (`...core.v3.HealthCheck.HttpHealthCheck`) lives in the directory of a shorter prefix.
    for (let length = segments.length - 1; length > 0; length--) {
      if (this.loadPackage(segments.slice(0, length).join('.'))) break;
    }
    const found = this.root?.lookup(fullName);
    return found !== null && found !== undefined && 'fields' in found ? (found as protobuf.Type) : undefined;
  }

  /** Whether this registry holds protos of the package (`envoy.extensions.filters.http.lua.v3`). */
  hasPackage(name: string): boolean {
    return PROTO_NAME.test(name) && this.loadPackage(name);
  }

  private loadPackage(name: string): boolean {
    const known = this.packages.get(name);
    if (known !== undefined) return known;
    const dir = name.replaceAll('.', '/');
    const found = name === 'google.protobuf' || locateProtoFile(this.includeDirs, dir) !== undefined;
    // Only names of existing directories are remembered, so names made up in patches cost no memory.
    if (!found) return false;
    const files =
      name === 'google.protobuf'
        ? WELL_KNOWN_FILES
        : this.protoFilesIn(dir).filter((file) => this.canImport(file));
    let loaded = files.length > 0;
    if (loaded) {
      const root = (this.root ??= newEnvoyProtoRoot(require('protobufjs'), this.includeDirs));
      try {
        root.loadSync(files, { keepCase: true });
        root.resolveAll();
      } catch {
        loaded = false; // a proto protobufjs cannot read: its messages count as unknown here, never a crash
      }
    }
    this.packages.set(name, loaded);
    return loaded;
  }

  private protoFilesIn(dir: string): string[] {
    const path = locateProtoFile(this.includeDirs, dir);
    if (path === undefined) return [];
    try {
      return readdirSync(path)
        .filter((entry) => entry.endsWith('.proto'))
        .map((entry) => `${dir}/${entry}`);
    } catch {
      return []; // a file, not a package directory
    }
  }

  /**
   * Whether a file and everything it imports are present: the snapshot lacks a few third-party imports
   * (OpenCensus, Prometheus), and protobufjs would fail the whole load on one of them.
   */
  private canImport(file: string, visiting = new Set<string>()): boolean {
    const known = this.importable.get(file);
    if (known !== undefined) return known;
    if (BUNDLED.test(file) || visiting.has(file)) return true;
    visiting.add(file);
    const path = locateProtoFile(this.includeDirs, file);
    const ok =
      path !== undefined &&
      [...readFileSync(path, 'utf8').matchAll(IMPORT)].every(([, imported]) =>
        this.canImport(imported as string, visiting),
      );
    this.importable.set(file, ok);
    return ok;
  }
}
