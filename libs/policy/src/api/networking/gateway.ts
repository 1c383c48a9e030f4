import { type Static } from 'typebox';

import { listOf, obj, opt, str, stringList, stringMap } from '../schema-helpers.js';
import { GatewayPort, ServerTLSSettings } from './server-tls-settings.js';

/** Gateway (networking.istio.io): the listeners of a load balancer at the edge of the mesh. */

export const Server = obj({
  port: GatewayPort,
  bind: opt(str('The ip or the Unix domain socket to which the listener should be bound to.')),
  hosts: stringList('One or more hosts exposed by this gateway.'),
  tls: opt(ServerTLSSettings),
  defaultEndpoint: opt(str()),
  name: opt(str('An optional name of the server, when set must be unique across all servers.')),
});
export type Server = Static<typeof Server>;

export const GatewaySpec = obj(
  {
    servers: opt(listOf(Server, 'A list of server specifications.')),
    selector: opt(
      stringMap(
        'One or more labels that indicate a specific set of pods/VMs on which this gateway configuration should be applied.',
      ),
    ),
  },
  {
    description:
      'Configuration affecting edge load balancer. See more details at: https://istio.io/docs/reference/config/networking/gateway.html',
  },
);
export type GatewaySpec = Static<typeof GatewaySpec>;
