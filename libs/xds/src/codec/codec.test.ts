import { describe, expect, it } from 'vitest';

import { XdsError } from '../errors.js';
import { TypeUrl } from '../type-urls.js';
import { packAny, unpackAny } from './any.js';
import { codecFor } from './message-codec.js';
import { jsonToStruct, structToJson } from './struct.js';

describe('codec', () => {
  it('packs and unpacks Any, decoding nested typed_config to the Envoy-YAML form', () => {
    const cluster = {
      name: 'outbound|9080||reviews.default.svc.cluster.local',
      type: 'EDS',
      connect_timeout: { seconds: 10 },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'outbound_.9080_._.reviews.default.svc.cluster.local',
        },
      },
    };
    const any = packAny(TypeUrl.Cluster, cluster);
    expect(any.type_url).toBe(TypeUrl.Cluster);
    expect(any.value).toBeInstanceOf(Buffer);
    expect(unpackAny(any)).toEqual({
      ...cluster,
      cluster_discovery_type: 'type',
      connect_timeout: { seconds: '10' }, // int64 as a string
      transport_socket: { ...cluster.transport_socket, config_type: 'typed_config' },
    });
  });

  it('reports unknown types and malformed bytes with stable codes', () => {
    expect(() =>
      unpackAny({ type_url: 'type.googleapis.com/no.such.Message', value: Buffer.alloc(0) }),
    ).toThrow(expect.objectContaining({ code: 'XDS_UNKNOWN_TYPE' }));
    expect(() => unpackAny({ type_url: 'nonsense' })).toThrow(XdsError);
    expect(() => codecFor('envoy.config.cluster.v3.Cluster').decode(Buffer.from([0x0a, 0xff]))).toThrow(
      expect.objectContaining({ code: 'XDS_DECODE' }),
    );
    expect(() =>
      codecFor('envoy.config.cluster.v3.Cluster').encode({ type: 'NOT_A_TYPE' } as object),
    ).toThrow(expect.objectContaining({ code: 'XDS_ENCODE' }));
  });

  it('converts node metadata between JSON and google.protobuf.Struct', () => {
    const json = {
      NAMESPACE: 'default',
      LABELS: { app: 'reviews', version: 'v1' },
      INSTANCE_IPS: ['10.0.0.1'],
      READY: true,
      PORT: 9080,
      NONE: null,
    };
    const struct = jsonToStruct(json);
    expect(struct.fields?.['LABELS']?.struct_value?.fields?.['app']).toEqual({ string_value: 'reviews' });
    const node = codecFor<{ id: string; metadata: object }>('envoy.config.core.v3.Node');
    const decoded = node.decode(node.encode({ id: 'n', metadata: struct }));
    expect(structToJson(decoded.metadata)).toEqual(json);
    expect(structToJson(struct)).toEqual(json);
  });
});
