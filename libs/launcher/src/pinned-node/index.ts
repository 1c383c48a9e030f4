/**
 * `@mesh/launcher/pinned-node`: what the mesh's bin entries call first, so that they run on the Node the
 * workspace pins even when the shell's `node` is older. Loaded by that older Node: builtins only.
 */
export { isAtLeast, minimumNodeVersion, pinnedNode, runOnSupportedNode } from './supported-node.js';
