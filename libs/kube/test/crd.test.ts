import {
  ApiextensionsV1Api,
  ApisApi,
  CustomObjectsApi,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1JSONSchemaProps,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';
import { eventually, statusOf } from './helpers.js';

/**
 * CustomResourceDefinitions: a CRD makes its group, versions and resource appear in discovery and
 * become servable (CustomObjectsApi, informers), its schema prunes, defaults and validates with
 * field paths, its status subresource separates spec from status, and deleting it removes it all.
 */
let server: TestApiServer;
let crds: ApiextensionsV1Api;
let custom: CustomObjectsApi;
const GROUP = 'mesh.example.com';
const WIDGET = { group: GROUP, version: 'v1', plural: 'widgets' };

type Widget = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

// client-node's model names: `_enum`, `_default`, `x_kubernetes_*` serialise to the real keywords.
const widgetSchema: V1JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1 },
        color: { type: 'string', _enum: ['red', 'green'] },
        mode: { type: 'string', _default: 'auto' },
        // `items` is typed `any` in client-node, so it is sent as written: real keywords there.
        ports: {
          type: 'array',
          items: { type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true } } },
        },
        extra: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
  },
};

function widgetCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: widgetSchema },
          subresources: { status: {} },
        },
        { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: widgetSchema } },
      ],
    },
  };
}

function widget(name: string, spec: Record<string, unknown>): Widget {
  return { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name }, spec };
}

async function createWidget(name: string, spec: Record<string, unknown>): Promise<Widget> {
  return (await custom.createNamespacedCustomObject({
    ...WIDGET,
    namespace: 'default',
    body: widget(name, spec),
  })) as Widget;
}

beforeAll(async () => {
  server = await startTestApiServer();
  crds = server.kubeConfig().makeApiClient(ApiextensionsV1Api);
  custom = server.kubeConfig().makeApiClient(CustomObjectsApi);
  const created = await crds.createCustomResourceDefinition({ body: widgetCrd() });
  expect(created.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  expect(created.status?.storedVersions).toEqual(['v1']);
});

afterAll(() => server.close());

describe('a CRD', () => {
  it('puts its group, versions and resource into discovery', async () => {
    const groups = await server.kubeConfig().makeApiClient(ApisApi).getAPIVersions();
    const group = groups.groups.find((g) => g.name === GROUP);
    expect(group?.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group?.preferredVersion?.version).toBe('v1');
    const resources = await custom.getAPIResources({ group: GROUP, version: 'v1' });
    expect(resources.resources.map((r) => r.name)).toEqual(['widgets', 'widgets/status']);
    expect(resources.resources[0]).toMatchObject({
      singularName: 'widget',
      namespaced: true,
      kind: 'Widget',
      shortNames: ['wd'],
    });
    const generic = KubernetesObjectApi.makeApiClient(server.kubeConfig());
    const created = await generic.create({
      apiVersion: `${GROUP}/v1`,
      kind: 'Widget',
      metadata: { name: 'generic' },
      spec: { size: 1 },
    } as Widget);
    expect(created.metadata?.namespace).toBe('default');
    await generic.delete(created);
  });

  it('serves custom objects: create (pruned and defaulted), get, list, and every served version', async () => {
    const created = await createWidget('first', {
      size: 2,
      unknownField: 'dropped',
      extra: { anything: { goes: true } },
    });
    expect(created.spec).toEqual({ size: 2, mode: 'auto', extra: { anything: { goes: true } } });
    expect(created.metadata?.generation).toBe(1);
    const list = (await custom.listNamespacedCustomObject({
      ...WIDGET,
      namespace: 'default',
    })) as KubernetesListObject<Widget>;
    expect(list.kind).toBe('WidgetList');
    expect(list.items.map((w) => [w.kind, w.metadata?.name])).toEqual([['Widget', 'first']]);
    const beta = (await custom.getNamespacedCustomObject({
      ...WIDGET,
      version: 'v1beta1',
      namespace: 'default',
      name: 'first',
    })) as Widget;
    expect(beta.apiVersion).toBe(`${GROUP}/v1beta1`);
    expect(beta.spec).toEqual(created.spec);
  });

  it('rejects objects that break the schema with 422 and every field path', async () => {
    const status = await statusOf(
      createWidget('bad', { size: 'big', color: 'blue', ports: [{ port: true }] }),
    );
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(status.message).toContain('Widget.mesh.example.com "bad" is invalid: [');
    expect(status.details?.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.size',
        message: 'Invalid value: "big": spec.size in body must be of type integer: "string"',
      },
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.color',
        message: 'Unsupported value: "blue": supported values: "red", "green"',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.ports[0].port',
        message:
          'Invalid value: true: spec.ports[0].port in body must be of type integer-or-string: "boolean"',
      },
    ]);
    const missing = await statusOf(createWidget('empty', {}));
    expect(missing.details?.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.size', message: 'Required value' },
    ]);
    const tooSmall = await statusOf(createWidget('small', { size: 0 }));
    expect(tooSmall.message).toContain('spec.size in body should be greater than or equal to 1');
  });

  it('keeps status out of main-resource writes and spec out of status writes', async () => {
    const created = await createWidget('statusful', { size: 1 });
    const replaced = (await custom.replaceNamespacedCustomObject({
      ...WIDGET,
      namespace: 'default',
      name: 'statusful',
      body: { ...created, spec: { size: 5 }, status: { ready: true } },
    })) as Widget;
    expect(replaced.status).toBeUndefined();
    expect(replaced.metadata?.generation).toBe(2);
    const withStatus = (await custom.patchNamespacedCustomObjectStatus(
      {
        ...WIDGET,
        namespace: 'default',
        name: 'statusful',
        body: { status: { ready: true }, spec: { size: 9 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Widget;
    expect(withStatus.status).toEqual({ ready: true });
    expect(withStatus.spec).toMatchObject({ size: 5 });
    expect(withStatus.metadata?.generation).toBe(2);
  });

  it('requires a resourceVersion to update a custom object', async () => {
    await createWidget('versioned', { size: 1 });
    const status = await statusOf(
      custom.replaceNamespacedCustomObject({
        ...WIDGET,
        namespace: 'default',
        name: 'versioned',
        body: widget('versioned', { size: 3 }),
      }),
    );
    expect(status.code).toBe(422);
    expect(status.details?.causes?.[0]?.field).toBe('metadata.resourceVersion');
  });

  it('feeds an informer on the custom resource', async () => {
    const path = `/apis/${GROUP}/v1/namespaces/default/widgets`;
    const informer = makeInformer<Widget>(
      server.kubeConfig(),
      path,
      () =>
        custom.listNamespacedCustomObject({ ...WIDGET, namespace: 'default' }) as Promise<
          KubernetesListObject<Widget>
        >,
    );
    const added: string[] = [];
    informer.on('add', (w) => added.push(w.metadata!.name!));
    await informer.start();
    try {
      await createWidget('watched', { size: 1 });
      await eventually(() => expect(added).toContain('watched'));
    } finally {
      await informer.stop();
    }
  });

  it('can be cluster-scoped', async () => {
    const crd = widgetCrd();
    crd.metadata = { name: `gadgets.${GROUP}` };
    crd.spec = { ...crd.spec, scope: 'Cluster', names: { plural: 'gadgets', kind: 'Gadget' } };
    crd.spec.versions = [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
      },
    ];
    await crds.createCustomResourceDefinition({ body: crd });
    const gadget = { apiVersion: `${GROUP}/v1`, kind: 'Gadget', metadata: { name: 'g1' }, anything: 1 };
    const created = (await custom.createClusterCustomObject({
      group: GROUP,
      version: 'v1',
      plural: 'gadgets',
      body: gadget,
    })) as Widget;
    expect(created.metadata?.namespace).toBeUndefined();
    expect(created).toMatchObject({ anything: 1 });
  });

  it('is itself validated: the name must be <plural>.<group>', async () => {
    const crd = widgetCrd();
    crd.metadata = { name: 'wrong.example.com' };
    const status = await statusOf(crds.createCustomResourceDefinition({ body: crd }));
    expect(status.code).toBe(422);
    expect(status.message).toContain(
      'metadata.name: Invalid value: "wrong.example.com": must be spec.names.plural+"."+spec.group',
    );
  });

  it('takes its resource and objects away when deleted', async () => {
    await crds.deleteCustomResourceDefinition({ name: `widgets.${GROUP}` });
    const status = await statusOf(custom.listNamespacedCustomObject({ ...WIDGET, namespace: 'default' }));
    expect(status.code).toBe(404);
    const groups = await server.kubeConfig().makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.find((g) => g.name === GROUP)?.versions.map((v) => v.version)).toEqual(['v1']);
    await crds.createCustomResourceDefinition({ body: widgetCrd() });
    const list = (await custom.listNamespacedCustomObject({
      ...WIDGET,
      namespace: 'default',
    })) as KubernetesListObject<Widget>;
    expect(list.items).toEqual([]);
  });
});
