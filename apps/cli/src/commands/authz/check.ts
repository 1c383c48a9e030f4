import { Args, Command, Flags } from '@oclif/core';

import { authzCheckResult } from '../../diagnose/authz-check-result.js';
import { DiagnoseError, EXIT } from '../../diagnose/diagnose-mesh.js';
import { loadDiagnoseMesh, MESH_SOURCE_HELP, meshSourceFlags } from '../../diagnose/mesh-source.js';
import { renderAuthzCheck, type AuthzCheckResult } from '../../diagnose/render-authz-check.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../diagnose/render-output.js';

/**
 * `meshctl authz check <workload> [request]`: the AuthorizationPolicies the workload's sidecar enforces
 * (as `istioctl x authz check` lists them), and for a described request the decision, computed through
 * the Envoy RBAC filters istiod generates for that workload with the engine the proxy runs.
 */
export default class AuthzCheck extends Command {
  static override summary = "Explain a workload's authorization policies and decide a request.";
  static override description =
    `${MESH_SOURCE_HELP} ` +
    '<workload> is a workload or one of ' +
    'its instances (backend, backend-0). Without a request, lists the policies in its RBAC filters (ACTION, ' +
    'name.namespace, number of rules). Describe a request with the caller (--from a workload, --principal, or ' +
    '--namespace for a caller with service account default there; none: a plaintext caller without identity) and ' +
    '--method, --path, --header, --port (default: the only port the workload serves) to get the decision and the ' +
    'policy rule, or the default, that decided. Exit codes: 0 allowed (or no request described), 1 denied or ' +
    'refused before RBAC, 2 usage error or invalid input, 3 no local mesh running (and no -f), or the cluster cannot be read.';
  static override examples = [
    '<%= config.bin %> authz check backend',
    '<%= config.bin %> authz check backend --from frontend --method GET --path /api/data',
    '<%= config.bin %> authz check backend-0 --principal cluster.local/ns/default/sa/other --path /api -o json',
  ];
  static override args = {
    workload: Args.string({ required: true, description: 'workload or instance (backend, backend-0)' }),
  };
  static override flags = {
    ...meshSourceFlags,
    'workload-namespace': Flags.string({
      description: 'namespace of the workload, when its name is ambiguous',
    }),
    from: Flags.string({ description: 'the calling workload or instance' }),
    principal: Flags.string({ description: 'the caller identity (cluster.local/ns/NS/sa/SA)' }),
    // Not -n: that is the workload's namespace elsewhere (tls-check, istioctl); here it is the caller's.
    namespace: Flags.string({ description: 'a caller in this namespace (service account default)' }),
    method: Flags.string({ description: 'HTTP method (default GET)' }),
    path: Flags.string({ description: 'HTTP path (default /)' }),
    header: Flags.string({ multiple: true, description: 'request header name=value (repeatable)' }),
    port: Flags.integer({ min: 1, max: 65535, description: 'the target port the request arrives on' }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<AuthzCheckResult> {
    const { args, flags } = await this.parse(AuthzCheck);
    let result: AuthzCheckResult;
    try {
      const mesh = await loadDiagnoseMesh(flags);
      result = authzCheckResult(mesh, args.workload, {
        ...(flags['workload-namespace'] === undefined ? {} : { namespace: flags['workload-namespace'] }),
        caller: { from: flags.from, principal: flags.principal, namespace: flags.namespace },
        request: { method: flags.method, path: flags.path, headers: flags.header, port: flags.port },
      });
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderAuthzCheck(result, flags.output as OutputFormat));
    if (result.result !== undefined && result.result.decision !== 'ALLOW') this.exit(EXIT.found);
    return result;
  }
}
