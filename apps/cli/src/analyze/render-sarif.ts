import {
  MESSAGE_TYPES,
  documentationUrl,
  originName,
  type AnalysisLevel,
  type AnalysisMessage,
} from '@mesh/policy';

/**
 * `meshctl analyze -o sarif`: the messages as a SARIF 2.1.0 log, the format code-scanning tools
 * (GitHub, GitLab, IDEs) read, so analysis findings show up on the lines of a pull request. One rule
 * per Istio code that occurs, named as Istio names it; results point at `file:line` when the message
 * came from a file, and always name the resource as a logical location.
 */
export function renderSarif(messages: readonly AnalysisMessage[]): string {
  const codes = [...new Set(messages.map((m) => m.code))].sort();
  const rules = codes.map((code) => ({
    id: code,
    name: Object.entries(MESSAGE_TYPES).find(([, type]) => type.code === code)?.[0] ?? code,
    helpUri: documentationUrl(code),
  }));
  const results = messages.map((m) => ({
    ruleId: m.code,
    ruleIndex: codes.indexOf(m.code),
    level: SARIF_LEVELS[m.level],
    message: { text: m.message },
    locations: [
      {
        ...(m.source === undefined
          ? {}
          : {
              physicalLocation: {
                artifactLocation: { uri: m.source.file },
                region: { startLine: m.source.line },
              },
            }),
        logicalLocations: [{ fullyQualifiedName: originName(m.origin), kind: 'resource' }],
      },
    ],
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'meshctl analyze',
            informationUri: 'https://istio.io/latest/docs/reference/config/analysis/',
            rules,
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

const SARIF_LEVELS: Record<AnalysisLevel, 'error' | 'warning' | 'note'> = {
  Error: 'error',
  Warning: 'warning',
  Info: 'note',
};
