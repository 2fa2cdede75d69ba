/**
 * Rows a statement cannot fail to return: the one row of a `COUNT(*)`, a row the same transaction just
 * found or wrote. Their absence is a fault of scf-local (or a database changed under it), reported as an
 * InternalError that says which row, never a user error and never a TypeError further on.
 */
import { ScfError } from '../../errors/index.js';

export function required<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw new ScfError('InternalError', `log store: ${what} is missing`);
  return row;
}
