/**
 * The registry's conflict errors, worded once: the registry raises them from its own state, and a catalog
 * from what it stores (another node may have got there first), so a caller reads the same either way.
 */
import { ScfError } from '../errors/index.js';

export const functionNotFound = (namespace: string, functionName: string): ScfError =>
  new ScfError('FunctionNotFound', `function not found: [${functionName}] in namespace [${namespace}]`);

export const functionInUse = (namespace: string, functionName: string): ScfError =>
  new ScfError('FunctionInUse', `function ${functionName} already exists in namespace ${namespace}`);

export const namespaceNotFound = (namespace: string): ScfError =>
  new ScfError('NamespaceNotFound', `namespace ${namespace} does not exist`);

export const namespaceExists = (namespace: string): ScfError =>
  new ScfError('NamespaceInUse', `namespace ${namespace} already exists`);

export const namespaceNotEmpty = (namespace: string): ScfError =>
  new ScfError('NamespaceInUse', `namespace ${namespace} still holds functions; delete them first`);
