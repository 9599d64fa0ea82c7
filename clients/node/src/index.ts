export { AuthzClient, MAX_BATCH_CHECKS, MAX_FILTER_ORDERS } from "./client.ts";
export type {
  AuthzClientOptions,
  BatchCheck,
  BatchDecision,
  BatchRequest,
  CheckRequest,
  Consistency,
  Decision,
  OrdersFilterRequest,
  OrdersQuery,
  OrdersQueryRequest,
  Permissions,
  PermissionsRequest,
  RetryOptions,
  Subject,
} from "./client.ts";
export { AuthzClientError, clientErrorCodes, isAuthzClientError } from "./errors.ts";
export type { AuthzErrorDetail, ClientErrorCode } from "./errors.ts";
export { orderFilterSchema } from "./order-filter.ts";
export type { OrderField, OrderFilter } from "./order-filter.ts";
export type { GuardRefusal, PermissionInput } from "./guard.ts";
export type { paths as SidecarPaths } from "./api.generated.ts";
