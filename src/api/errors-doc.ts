/**
 * Renders docs/errors.md from the code table and the two protocols' spellings of it, so the document cannot drift from the code:
 * `npm run docs:errors` rewrites it and a unit test fails when it is stale.
 */
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { V2_CODES } from './protocol/v2/errors.js';
import { RULE_CODES, V3_CODES } from './protocol/v3/errors.js';

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
    'Generated from `src/errors/codes.ts` and `src/api/protocol/{v2,v3}/errors.ts` by `npm run docs:errors`; a test keeps it complete.',
    '',
    '| internal code | v2 code | v2 codeDesc | API 3.0 code | caused by | meaning |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, spec] of Object.entries(ERROR_CODES) as Array<
    [ErrorCode, (typeof ERROR_CODES)[ErrorCode]]
  >) {
    const [v2, v2Desc] = V2_CODES[name];
    const code = V3_CODES[name];
    const v3 = code === 'InvalidParameterValue' || code === 'MissingParameter' ? `${code}[.<Field>]` : code;
    lines.push(
      `| ${name} | ${v2} | ${v2Desc} | \`${v3}\` | ${spec.user ? 'caller' : 'platform'} | ${spec.doc} |`,
    );
  }
  lines.push(
    '',
    "API 3.0 answers some rules with a code of its own instead of the row above (SCF's per-action lists;",
    '`src/api/protocol/v3/error-codes.ts` holds the codes each action may answer):',
    '',
    '| rule | API 3.0 code |',
    '|---|---|',
  );
  for (const [rule, code] of Object.entries(RULE_CODES)) lines.push(`| ${rule} | \`${code}\` |`);
  return `${lines.join('\n')}\n`;
}
