/**
 * Renders docs/errors.md from the code table, so the document cannot drift from the code:
 * `npm run docs:errors` rewrites it and a unit test fails when it is stale.
 */
import { ERROR_CODES } from './codes.js';

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Every API error carries one code from this table, in the envelope of the protocol that was called:',
    '',
    '- legacy v2 (`/v2/index.php`): `{"code": <v2 code>, "message": "<text>", "codeDesc": "<v2 codeDesc>"}`',
    '- API 3.0 (`/`): `{"Response": {"Error": {"Code": "<3.0 code>", "Message": "<text>"}, "RequestId": "…"}}`',
    '',
    'Both are answered with HTTP 200 and `Content-Type: application/json`, as SCF does (the SDKs read errors',
    'from the body). Codes ending in `.<Field>` name the parameter at fault (`InvalidParameterValue.Order`).',
    '',
    'Generated from `src/errors/codes.ts` by `npm run docs:errors`; a test keeps it complete.',
    '',
    '| internal code | v2 code | v2 codeDesc | API 3.0 code | caused by | meaning |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, spec] of Object.entries(ERROR_CODES)) {
    const v3 =
      spec.v3 === 'InvalidParameterValue' || spec.v3 === 'MissingParameter'
        ? `${spec.v3}[.<Field>]`
        : spec.v3;
    lines.push(
      `| ${name} | ${spec.v2} | ${spec.v2Desc} | \`${v3}\` | ${spec.user ? 'caller' : 'platform'} | ${spec.doc} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
