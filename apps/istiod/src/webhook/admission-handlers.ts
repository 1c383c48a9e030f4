import { injectPod, isInjectionError, type PodLike } from '@mesh/kube';
import { istioKindOf, validateResource, type Finding } from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';
import type { Logger } from 'pino';

import { allowed, denied, type AdmissionRequest, type AdmissionResponse } from './admission-review.js';
import type { InjectorSettings } from './injector-settings.js';

/**
 * The two admission webhooks: `/inject` (pods, at CREATE: libs/kube's pure injection, the same as
 * `meshctl kube-inject`) and `/validate` (Istio resources, at CREATE and UPDATE: @mesh/policy's
 * validation, the same as `meshctl validate`, refusing with every error's field path).
 */

export interface AdmissionHandlers {
  inject(request: AdmissionRequest): Promise<AdmissionResponse>;
  validate(request: AdmissionRequest): AdmissionResponse;
}

/** What the API server shows: Istio's wording, each error with its field path. */
function findingText(finding: Finding): string {
  return finding.path === '' ? finding.message : `${finding.path}: ${finding.message}`;
}

export function admissionHandlers(settings: InjectorSettings, logger: Logger): AdmissionHandlers {
  return {
    async inject(request) {
      const pod = request.object;
      if (request.kind.kind !== 'Pod' || pod === undefined)
        return denied(
          request.uid,
          `the injection webhook takes Pods, not ${request.kind.kind || 'an empty object'}`,
        );
      if (request.operation !== 'CREATE') return allowed(request.uid);
      const spec = pod['spec'] as { nodeName?: string } | undefined;
      const current = await settings.current(spec?.nodeName);
      const namespace =
        request.namespace || String((pod['metadata'] as { namespace?: string })?.namespace ?? '');
      try {
        const result = injectPod({ ...current, pod: pod as unknown as PodLike, namespace });
        const meta = (pod['metadata'] ?? {}) as { name?: string; generateName?: string };
        logger.info(
          {
            pod: `${namespace}/${meta.name || `${meta.generateName ?? ''}*`}`,
            inject: result.decision.inject,
            rule: result.decision.rule,
          },
          result.decision.inject ? 'sidecar injected' : `sidecar not injected: ${result.decision.reason}`,
        );
        return allowed(request.uid, result.patch);
      } catch (err) {
        // An invalid annotation refuses the pod (as Istio's validate.go); anything else is our defect.
        if (isInjectionError(err)) return denied(request.uid, `sidecar injection: ${err.message}`);
        logger.error({ err: (err as Error).stack }, 'injection failed');
        return denied(request.uid, `sidecar injection failed: ${(err as Error).message}`, 500);
      }
    },

    validate(request) {
      const object = request.object;
      if (request.operation === 'DELETE' || object === undefined) return allowed(request.uid);
      const apiVersion = String(object['apiVersion'] ?? '');
      const kind = String(object['kind'] ?? '');
      // Only Istio's kinds are istiod's to judge; the webhook's rules should send no others.
      if (istioKindOf(apiVersion, kind) === undefined) return allowed(request.uid);
      const { errors, warnings } = validateResource(object, { checkEnvoyPatchValue });
      if (errors.length > 0)
        return denied(request.uid, `configuration is invalid: ${errors.map(findingText).join('; ')}`);
      const response = allowed(request.uid);
      return warnings.length > 0 ? { ...response, warnings: warnings.map(findingText) } : response;
    },
  };
}
