export { formatSpiffeId, parseSpiffeId, SpiffeIdError, type SpiffeIdentity } from './spiffe.js';
