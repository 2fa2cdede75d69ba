/**
 * Renders `docs/api-v3-actions.md`: for every implemented API 3.0 action, each parameter of SCF's request
 * model (read from the installed SDK's declarations) and what scf-local does with it (honoured, stored but
 * inert, ignored, refused — `src/api/protocol/v3/param-notes.ts`), then the error codes it may answer
 * (`error-codes.ts`). `npm run docs:errors` writes it; `test/unit/api/v3/actions-doc.test.ts` keeps it
 * current and complete.
 */
import { V3_ACTIONS } from '../../src/api/protocol/v3/actions.js';
import { COMMON_V3_CODES, V3_ACTION_CODES } from '../../src/api/protocol/v3/error-codes.js';
import { EXTRA_PARAMS, PARAM_NOTES, type ParamNote } from '../../src/api/protocol/v3/param-notes.js';
import type { SdkModels } from './sdk-models.js';

/** The parameters an action reads (its schema's keys). */
export function readParams(action: string): string[] {
  const a = V3_ACTIONS.get(action);
  const shape = (a?.params as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function describe(note: ParamNote | undefined): string {
  if (note === undefined) return 'honoured';
  if ('inert' in note) return `stored and returned, no effect here: ${note.inert}`;
  if ('ignored' in note) return `ignored: ${note.ignored}`;
  if ('partly' in note) return `partly: ${note.partly}`;
  return `refused with \`${note.code}\`: ${note.refused}`;
}

const cell = (text: string): string => text.replaceAll('|', '\\|');

export function renderActionsDoc(models: SdkModels): string {
  const lines = [
    '# API 3.0, action by action',
    '',
    "For every action scf-local serves: each parameter of SCF's request model (from the installed",
    '`tencentcloud-sdk-nodejs` declarations; * = required there) and what scf-local does with it, then the',
    'error codes the action may answer besides the common ones (authentication, envelope, platform:',
    `${COMMON_V3_CODES.map((c) => `\`${c}\``).join(', ')}).`,
    '',
    '- **honoured**: as SCF documents it (the details, where scf-local chose, are in `docs/api-v3.md`);',
    '- **stored and returned, no effect here**: checked as SCF checks it, kept, and read back as written',
    '  (a deploy tool finds no drift), but nothing here acts on it, and why;',
    '- **ignored**: accepted and not used, and why;',
    '- **refused**: the values scf-local cannot honour answer the code given;',
    '- **partly**: honoured within the limit said.',
    '',
    'Generated from `src/api/protocol/v3/{actions,param-notes,error-codes}.ts` and the SDK by',
    '`npm run docs:errors`; a test keeps it current. Actions SCF has that are not listed answer',
    '`UnsupportedOperation`.',
  ];
  for (const action of V3_ACTIONS.keys()) {
    const read = readParams(action);
    const model = models.has(`${action}Request`) ? models.fields(`${action}Request`) : [];
    const notes = PARAM_NOTES[action] ?? {};
    const extras = EXTRA_PARAMS[action] ?? {};
    lines.push('', `## ${action}`, '', '| parameter | what scf-local does |', '|---|---|');
    for (const f of model) {
      const status = read.includes(f.name) || notes[f.name] ? describe(notes[f.name]) : 'ignored';
      lines.push(`| \`${f.name}\`${f.optional ? '' : ' *'} | ${cell(status)} |`);
    }
    for (const name of read.filter((p) => !model.some((f) => f.name === p))) {
      lines.push(`| \`${name}\` | scf-local's own: ${cell(extras[name] ?? describe(notes[name]))} |`);
    }
    const row = V3_ACTION_CODES[action];
    if (row) {
      lines.push('');
      lines.push(
        row.scf.length > 0
          ? `Codes from SCF's list for ${action}: ${row.scf.map((c) => `\`${c}\``).join(', ')}.`
          : `SCF lists no codes of its own for ${action}.`,
      );
      const local = Object.entries(row.local ?? {});
      if (local.length > 0) {
        lines.push('', "scf-local's own:", '');
        for (const [code, why] of local) lines.push(`- \`${code}\`: ${why}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
