import { DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS, mintJoinToken } from '@mesh/launcher';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import { parseDuration } from '../../../local/duration.js';
import { resolveStateDir, stateDirFlagDefault } from '../../../local/state-dir.js';
import { renderJoinToken, type JoinTokenResult } from '../../../local/render-join-token.js';

/**
 * `meshctl local token create -n <ns> --sa <sa>`: mints a join token offline from the state directory
 * (the key istiod verifies with), so a workload outside Kubernetes can obtain its certificate.
 */
export default class LocalTokenCreate extends Command {
  static override summary = 'Create a join token for a workload identity (local platform and VMs).';
  static override description =
    'Signs a token with the join-token key in the state directory. istiod, started on the same state directory, accepts it ' +
    'as proof of the namespace and service account when the workload asks for its certificate. Prints the token.';
  static override examples = [
    '<%= config.bin %> local token create -n default --sa productpage',
    '<%= config.bin %> local token create -n backend --sa api --ttl 1h -o json',
  ];

  static override flags = {
    namespace: Flags.string({ char: 'n', required: true, description: 'namespace of the workload' }),
    sa: Flags.string({
      required: true,
      aliases: ['service-account'],
      description: 'service account of the workload',
    }),
    ttl: Flags.string({
      default: '24h',
      description:
        'lifetime of the token (s, m, h or d); istiod refuses more than its --max-join-token-ttl (7d)',
    }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
    'trust-domain': Flags.string({ default: 'cluster.local', description: 'trust domain of the mesh' }),
    output: Flags.string({
      char: 'o',
      options: ['text', 'json'],
      default: 'text',
      description: 'output format',
    }),
  };

  async run(): Promise<JoinTokenResult> {
    const { flags } = await this.parse(LocalTokenCreate);
    const ttlSeconds = parseDuration(flags.ttl);
    if (ttlSeconds === undefined)
      this.error(`--ttl: "${flags.ttl}" is not a duration like 30m, 24h or 7d`, { exit: 2 });
    if (ttlSeconds > DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS)
      this.warn(
        `--ttl ${flags.ttl} is longer than 7d: istiod refuses it unless started with a larger --max-join-token-ttl`,
      );
    const minted = await mintJoinToken(
      resolveStateDir(flags['state-dir']),
      { trustDomain: flags['trust-domain'], namespace: flags.namespace, serviceAccount: flags.sa },
      ttlSeconds,
    );
    const result: JoinTokenResult = {
      token: minted.token,
      id: minted.id,
      identity: minted.identity,
      expiresAt: minted.expiresAt.toISOString(),
      keyFile: minted.keyFile,
      keyCreated: minted.keyCreated,
    };
    this.log(renderJoinToken(result, flags.output as 'text' | 'json'));
    return result;
  }
}
