import { FINDING_CODES, type Finding } from '../validation/finding.js';
import { MESSAGE_TYPES, type AnalysisMessage, type MessageName } from './messages.js';

/**
 * Istio's `schema.ValidationAnalyzer.<Kind>`: what validation finds, as analysis messages. Errors are
 * IST0106 and warnings IST0133, except the route-order warnings, which Istio reports as their own
 * messages (IST0130 unreachable rule, IST0131 ineffective match). The findings come from the shared
 * validator (the one istiod and `meshctl validate` run), so each names its field.
 */
export function schemaMessages(findings: readonly Finding[]): AnalysisMessage[] {
  return findings.map((finding) => {
    const name = messageNameOf(finding);
    const type = MESSAGE_TYPES[name];
    return {
      code: type.code,
      name,
      level: type.level,
      origin: { kind: finding.kind, namespace: finding.namespace, name: finding.name },
      ...(finding.source === undefined ? {} : { source: finding.source }),
      message: textOf(name, finding),
    };
  });
}

function messageNameOf(finding: Finding): MessageName {
  switch (FINDING_CODES[finding.code].istio) {
    case 'IST0130':
      return 'VirtualServiceUnreachableRule';
    case 'IST0131':
      return 'VirtualServiceIneffectiveMatch';
    default:
      return finding.level === 'Error' ? 'SchemaValidationError' : 'SchemaWarning';
  }
}

function textOf(name: MessageName, finding: Finding): string {
  const detail = finding.path === '' ? finding.message : `${finding.path}: ${finding.message}`;
  switch (name) {
    case 'SchemaValidationError':
      return `Schema validation error: ${detail}`;
    case 'SchemaWarning':
      return `Schema validation warning: ${detail}`;
    default:
      // The validator words these as Istio's webhook does (`virtualService rule #1 not used (...)`);
      // the analysis message is the same sentence capitalized, with a full stop.
      return `${finding.message.replace(/^virtualService /, 'VirtualService ')}.`;
  }
}
