/**
 * HTTP triggers (API Gateway) and the URLs of web functions: `TriggerDesc` (`desc.ts`), the request as the
 * function's event (`event.ts`), its result as the answer (`response.ts`), and the route family
 * `/apigw/<namespace>/<function>/<path…>` (`route.ts`). See docs/triggers.md.
 */
export {
  APIGW_METHODS,
  APIGW_STAGES,
  type ApigwConfig,
  type ApigwMethod,
  type ApigwStage,
  formatApigwDesc,
  parseApigwDesc,
} from './desc.js';
export { APIGW_PREFIX, type ApigwRouteOptions, functionUrlPath, registerApigwRoutes } from './route.js';
