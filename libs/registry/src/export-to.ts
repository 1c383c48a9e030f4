/**
 * Istio's `exportTo` visibility (services, VirtualServices, DestinationRules): which namespaces may see a
 * piece of config. `*` (the default when unset) exports everywhere, `.` to the owner's namespace only,
 * `~` nowhere, and any other entry names a namespace. Pure functions.
 */

/** The Service annotation that carries a Kubernetes Service's exportTo (comma-separated). */
export const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** `"., istio-system"` → `['.', 'istio-system']`; undefined when absent or empty (= the default, `*`). */
export function parseExportTo(annotation: string | undefined): string[] | undefined {
  const entries = (annotation ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.length > 0 ? entries : undefined;
}

/**
 * Whether config owned by `ownerNamespace` with this `exportTo` is visible from `namespace` (Istio's
 * `IsServiceVisible`). An empty or missing list means `*`; `~` hides it everywhere, its own namespace
 * included; an explicit list does not implicitly include the owner's namespace.
 */
export function isExportedTo(
  exportTo: readonly string[] | undefined,
  ownerNamespace: string,
  namespace: string,
): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  if (exportTo.includes('~')) return false;
  return exportTo.some(
    (entry) => entry === '*' || (entry === '.' ? ownerNamespace === namespace : entry === namespace),
  );
}
