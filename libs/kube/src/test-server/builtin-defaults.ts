import type { FieldError } from './api-errors.js';
import { isPlainObject, nameOf } from './kube-object.js';
import type { ResourceHooks } from './write-pipeline.js';

/**
 * The built-in behaviour of a few kinds that the mesh observes, as kube-apiserver's defaulting and
 * registry strategies implement it: a Service gets a cluster IP and defaulted ports, a new Pod is
 * `Pending` with its service account defaulted, a Namespace is `Active` and carries its name label,
 * a Secret's `stringData` becomes base64 `data`. Everything else about these kinds is stored as sent.
 */
function objectField(object: Record<string, unknown>, field: string): Record<string, unknown> {
  if (!isPlainObject(object[field])) object[field] = {};
  return object[field] as Record<string, unknown>;
}

function listOfObjects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

const podHooks: ResourceHooks = {
  default(pod) {
    const spec = objectField(pod, 'spec');
    spec['serviceAccountName'] ??= 'default';
    spec['restartPolicy'] ??= 'Always';
    spec['dnsPolicy'] ??= 'ClusterFirst';
    spec['schedulerName'] ??= 'default-scheduler';
    spec['terminationGracePeriodSeconds'] ??= 30;
    for (const container of [
      ...listOfObjects(spec['initContainers']),
      ...listOfObjects(spec['containers']),
    ]) {
      const image = typeof container['image'] === 'string' ? container['image'] : '';
      const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
      container['imagePullPolicy'] ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
      container['terminationMessagePath'] ??= '/dev/termination-log';
      container['terminationMessagePolicy'] ??= 'File';
      for (const port of listOfObjects(container['ports'])) port['protocol'] ??= 'TCP';
    }
  },
  prepareCreate(pod) {
    pod['status'] = { phase: 'Pending' };
  },
};

/** Hands out cluster IPs from 10.96.0.0/12 in order, as the service IP allocator would. */
class ClusterIpAllocator {
  private next = 10 * 256 + 1;

  allocate(): string {
    const offset = this.next++;
    return `10.96.${Math.floor(offset / 256)}.${offset % 256}`;
  }
}

function serviceHooks(): ResourceHooks {
  const allocator = new ClusterIpAllocator();
  return {
    default(service) {
      const spec = objectField(service, 'spec');
      spec['type'] ??= 'ClusterIP';
      if (spec['type'] !== 'ExternalName') {
        spec['sessionAffinity'] ??= 'None';
        spec['internalTrafficPolicy'] ??= 'Cluster';
      }
      for (const port of listOfObjects(spec['ports'])) {
        port['protocol'] ??= 'TCP';
        port['targetPort'] ??= port['port'];
      }
    },
    prepareCreate(service) {
      const spec = objectField(service, 'spec');
      if (spec['type'] === 'ExternalName') return;
      spec['clusterIP'] ??= allocator.allocate();
      spec['clusterIPs'] ??= [spec['clusterIP']];
      if (spec['clusterIP'] !== 'None') {
        spec['ipFamilies'] ??= ['IPv4'];
        spec['ipFamilyPolicy'] ??= 'SingleStack';
      }
      service['status'] = { loadBalancer: {} };
    },
    prepareUpdate(next, current) {
      const spec = objectField(next, 'spec');
      const currentSpec = objectField(current, 'spec');
      for (const field of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
        if (spec[field] === undefined && currentSpec[field] !== undefined) spec[field] = currentSpec[field];
      }
    },
    validate(service, current): FieldError[] {
      const before = current && isPlainObject(current['spec']) ? current['spec']['clusterIP'] : undefined;
      const after = isPlainObject(service['spec']) ? service['spec']['clusterIP'] : undefined;
      if (before !== undefined && after !== before) {
        return [
          {
            type: 'Invalid',
            field: 'spec.clusterIPs[0]',
            badValue: after ?? '',
            detail: 'may not change once set',
          },
        ];
      }
      return [];
    },
  };
}

const namespaceHooks: ResourceHooks = {
  default(namespace) {
    namespace.metadata.labels = {
      ...namespace.metadata.labels,
      'kubernetes.io/metadata.name': namespace.metadata.name ?? '',
    };
    objectField(namespace, 'spec')['finalizers'] ??= ['kubernetes'];
  },
  prepareCreate(namespace) {
    namespace.metadata.labels = {
      ...namespace.metadata.labels,
      'kubernetes.io/metadata.name': nameOf(namespace),
    };
    namespace['status'] = { phase: 'Active' };
  },
};

const secretHooks: ResourceHooks = {
  default(secret) {
    secret['type'] ??= 'Opaque';
    if (isPlainObject(secret['stringData'])) {
      const data = objectField(secret, 'data');
      for (const [key, value] of Object.entries(secret['stringData'])) {
        data[key] = Buffer.from(String(value), 'utf8').toString('base64');
      }
      delete secret['stringData'];
    }
  },
};

/** Hooks by storage key. */
export function builtinHooks(): Map<string, ResourceHooks> {
  return new Map([
    ['/pods', podHooks],
    ['/services', serviceHooks()],
    ['/namespaces', namespaceHooks],
    ['/secrets', secretHooks],
  ]);
}
