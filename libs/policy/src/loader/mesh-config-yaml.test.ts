import { describe, expect, it } from 'vitest';

import { formatFinding } from '../validation/finding.js';
import { parseMeshConfigYaml } from './mesh-config-yaml.js';

const FILE = '/etc/istio/config/mesh';

const errors = (text: string) => parseMeshConfigYaml(text, FILE).errors.map(formatFinding);

describe('MeshConfig from YAML', () => {
  it('reads the mesh file of a typical install, Istio’s defaults under it', () => {
    const { meshConfig, errors: found } = parseMeshConfigYaml(
      `# mesh settings
accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  proxyMetadata: {}
enablePrometheusMerge: true
meshMTLS:
  minProtocolVersion: TLSV1_3
trustDomain: cluster.local
`,
      FILE,
    );
    expect(found).toEqual([]);
    expect(meshConfig).toMatchObject({
      accessLogFile: '/dev/stdout',
      meshMTLS: { minProtocolVersion: 'TLSV1_3' },
      rootNamespace: 'istio-system',
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    });
  });

  it('treats an empty file (or only comments) as all defaults', () => {
    expect(parseMeshConfigYaml('', FILE).meshConfig?.trustDomain).toBe('cluster.local');
    expect(parseMeshConfigYaml('# nothing set\n', FILE).meshConfig?.enableAutoMtls).toBe(true);
  });

  it('names the file and line of each invalid field', () => {
    expect(
      errors(`trustDomain: cluster.local
meshMTLS:
  minProtocolVersion: TLSV1_1
  cipherSuites:
  - AES128-GCM-SHA256
outboundTrafficPolicy:
  mode: DENY
`),
    ).toEqual([
      `Error [SCHEMA_ENUM] (MeshConfig ${FILE}:3) meshMTLS.minProtocolVersion: must be one of TLS_AUTO, TLSV1_2, TLSV1_3`,
      `Error [SCHEMA_ENUM] (MeshConfig ${FILE}:7) outboundTrafficPolicy.mode: must be one of REGISTRY_ONLY, ALLOW_ANY`,
    ]);
    expect(errors('meshMTLS:\n  cipherSuites: [AES128-GCM-SHA256, NOPE]\n')).toEqual([
      `Error [TLS_INVALID] (MeshConfig ${FILE}:2) meshMTLS.cipherSuites[1]: unknown cipher suite "NOPE"`,
    ]);
  });

  it('refuses YAML syntax errors, duplicate keys, several documents and non-mappings, with their line', () => {
    expect(errors('trustDomain: cluster.local\nmeshMTLS: [\n')).toEqual([
      expect.stringMatching(new RegExp(`^Error \\[YAML_SYNTAX\\] \\(MeshConfig ${FILE}:3\\) `)),
    ]);
    expect(errors('accessLogFile: a\nrootNamespace: x\naccessLogFile: b\n')).toEqual([
      `Error [YAML_SYNTAX] (MeshConfig ${FILE}:3) Map keys must be unique: "accessLogFile" is repeated (first at line 1)`,
    ]);
    expect(errors('trustDomain: a.org\n---\ntrustDomain: b.org\n')).toEqual([
      `Error [YAML_SYNTAX] (MeshConfig ${FILE}:2) a mesh config is one YAML document`,
    ]);
    expect(errors('- trustDomain: a.org\n')).toEqual([
      `Error [RESOURCE_MALFORMED] (MeshConfig ${FILE}:1) a mesh config is a mapping of MeshConfig fields`,
    ]);
  });

  it('refuses an oversized file unparsed', () => {
    const huge = `accessLogFormat: "${'x'.repeat(2 * 1024 * 1024)}"\n`;
    expect(parseMeshConfigYaml(huge, FILE).errors.map((f) => f.code)).toEqual(['SIZE_LIMIT']);
  });
});
