import * as Args from '@oclif/core/args';
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { joinTokenId, revokeAllJoinTokens, revokeJoinTokenIds } from '@mesh/pki';

import { resolveStateDir, stateDirFlagDefault } from '../../../local/state-dir.js';

/** What `meshctl local token revoke` did. */
export interface TokenRevocation {
  /** Every token of the state directory was revoked (its signing key replaced). */
  all: boolean;
  /** The ids revoked one by one. */
  revoked: string[];
}

/**
 * `meshctl local token revoke (TOKEN|ID ... | --all)`: revokes join tokens of a state directory. istiod
 * on that directory refuses them from its next check on, without a restart. A token only obtains a
 * first certificate: certificates already issued stay valid until they expire (24 h by default) and are
 * renewed with themselves, as in Istio. `meshctl local down` revokes every token of its directory.
 *
 * Exit codes: 0 revoked, 2 usage error (no token given, or a token that is not a join token).
 */
export default class LocalTokenRevoke extends Command {
  static override summary = 'Revoke join tokens of the local platform (one by one, or all of them).';
  static override examples = [
    '<%= config.bin %> local token revoke "$(cat productpage.token)"',
    '<%= config.bin %> local token revoke 3q2-7w1Yt0xGm4Qd',
    '<%= config.bin %> local token revoke --all',
  ];

  static override strict = false;
  static override args = {
    token: Args.string({ description: 'a join token, or its id (-o json of create shows it)' }),
  };
  static override flags = {
    all: Flags.boolean({
      default: false,
      description: 'revoke every token signed so far (replaces the signing key)',
    }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
  };

  async run(): Promise<TokenRevocation> {
    const { argv, flags } = await this.parse(LocalTokenRevoke);
    const stateDir = resolveStateDir(flags['state-dir']);
    if (flags.all) {
      revokeAllJoinTokens(stateDir);
      this.log('revoked every join token of this state directory');
      return { all: true, revoked: [] };
    }
    const given = argv as string[];
    if (given.length === 0) this.error('name the tokens (or ids) to revoke, or pass --all', { exit: 2 });
    const ids = given.map((value) => {
      if (!value.includes('.')) return value;
      const id = joinTokenId(value);
      if (!id) this.error('a token given is not a join token with an id', { exit: 2 });
      return id;
    });
    revokeJoinTokenIds(stateDir, ids);
    this.log(`revoked ${ids.length} join token(s): ${ids.join(', ')}`);
    return { all: false, revoked: ids };
  }
}
