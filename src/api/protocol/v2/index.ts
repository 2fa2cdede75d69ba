/**
 * The legacy v2 API (`/v2/index.php`): the signed query/form protocol of scf.api.qcloud.com, over the
 * shared operations. The platform mounts `createV2Handler(...)` with its fault report; `handleV2`
 * is that handler with the default report (stderr). The rest is for tests and clients.
 */
import { createV2Handler } from './handler.js';

export { V2_ACTIONS } from './actions.js';
export { v2ErrorBody } from './errors.js';
export {
  createV2Admission,
  createV2Handler,
  errorBody,
  successBody,
  V2_UPLOAD_ACTIONS,
  type V2HandlerOptions,
  v2Admission,
} from './handler.js';
export { lookupName, parseParams, type V2Param } from './params.js';
export {
  computeSignature,
  hashOf,
  signatureMatches,
  signRequest,
  stringToSign,
  type V2Hash,
} from './signature.js';

export const handleV2 = createV2Handler();
