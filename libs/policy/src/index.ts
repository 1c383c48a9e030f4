export { ISTIO_KINDS, istioKindOf, type IstioKind } from './api-kinds.js';
