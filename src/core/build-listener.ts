import { toGrpcRouteConfigName } from './build-route-configuration.js';
import { HTTP_CONNECTION_MANAGER_TYPE_URL, ROUTER_TYPE_URL } from './type-urls.js';

/** An Envoy v3 `Listener` holding an API listener, in proto3 JSON. */
export interface ListenerJson {
  readonly name: string;
  readonly api_listener: {
    readonly api_listener: {
      readonly '@type': typeof HTTP_CONNECTION_MANAGER_TYPE_URL;
      readonly stat_prefix: string;
      readonly rds: {
        readonly route_config_name: string;
        readonly config_source: {
          readonly ads: Record<string, never>;
          readonly resource_api_version: 'V3';
        };
      };
      readonly http_filters: readonly [
        {
          readonly name: string;
          readonly typed_config: { readonly '@type': typeof ROUTER_TYPE_URL };
        },
      ];
    };
  };
}

/**
 * The listener a proxyless gRPC client asks for when it dials `xds:///<service>`: an API
 * listener (no socket) whose HttpConnectionManager takes its routes over ADS from the service's
 * own route configuration (`toGrpcRouteConfigName`), with the router as its one HTTP filter,
 * as gRPC's xDS client requires. Envoy itself does not subscribe to these. Pure.
 */
export function buildApiListener(service: string): ListenerJson {
  return {
    name: service,
    api_listener: {
      api_listener: {
        '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
        stat_prefix: service,
        rds: {
          route_config_name: toGrpcRouteConfigName(service),
          config_source: { ads: {}, resource_api_version: 'V3' },
        },
        http_filters: [
          { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } },
        ],
      },
    },
  };
}
