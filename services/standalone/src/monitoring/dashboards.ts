// The Grafana dashboards, as code: `pnpm dashboards` writes them to monitoring/dashboards/*.json
// (what the Helm chart ships as ConfigMaps); a test checks the files are up to date, and another
// evaluates every panel's queries against a real Prometheus scraping a running stack.

/** Every series of a panel is filtered by these (Grafana variables). */
const SEL = 'namespace="$namespace",pod=~"$pod"';
const RATE = '$__rate_interval';

interface Target {
  expr: string;
  legend: string;
}
interface Panel {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  /** Grid width (of 24); default 12. */
  width?: number;
  type?: 'timeseries' | 'stat';
}
interface Row {
  title: string;
  panels: Panel[];
}
export interface DashboardSpec {
  file: string;
  uid: string;
  title: string;
  description: string;
  rows: Row[];
  /** Extra template variables after datasource/namespace/pod (the HTTP dashboard's service). */
  service?: boolean;
}

const t = (expr: string, legend: string): Target => ({ expr, legend });
const rate = (metric: string, extra = '') => `rate(${metric}{${SEL}${extra}}[${RATE}])`;
const quantile = (q: number, metric: string, by: string, extra = '') =>
  `histogram_quantile(${q}, sum by (${['le', ...(by ? [by] : [])].join(', ')}) (${rate(`${metric}_bucket`, extra)}))`;
/** A rate that reads 0 (not "no data") while its counter has never moved: `… or <a sibling series> * 0`. */
const orZero = (expr: string, zero: string) => `(${expr}) or (${zero} * 0)`;

const latency = (title: string, description: string, metric: string, by = '', extra = ''): Panel => ({
  title,
  description,
  unit: 's',
  targets: [
    t(quantile(0.5, metric, by, extra), by ? `p50 {{${by}}}` : 'p50'),
    t(quantile(0.99, metric, by, extra), by ? `p99 {{${by}}}` : 'p99'),
  ],
});

export const dashboardSpecs: DashboardSpec[] = [
  {
    file: 'overview.json',
    uid: 'chatorbit-overview',
    title: 'ChatOrbit / Overview',
    description: 'Health of a ChatOrbit installation at a glance: traffic, latency, refusals, readiness, process health.',
    rows: [
      {
        title: 'Traffic',
        panels: [
          { title: 'Open WebSockets', description: 'Sockets connected to the chat pods.', unit: 'short', type: 'stat', width: 6, targets: [t(`sum(chatorbit_ws_connections_open{${SEL}})`, 'sockets')] },
          { title: 'Messages in /s', description: 'Messages accepted from clients (chatorbit_messages_accepted_total).', unit: 'short', type: 'stat', width: 6, targets: [t(`sum(${rate('chatorbit_messages_accepted_total')})`, 'messages/s')] },
          { title: 'Deliveries /s', description: 'Messages written to sockets (one per recipient).', unit: 'short', type: 'stat', width: 6, targets: [t(`sum(${rate('chatorbit_message_deliveries_total')})`, 'deliveries/s')] },
          { title: 'Active rooms', description: 'Rooms with members, summed over pods (a room on two pods counts twice).', unit: 'short', type: 'stat', width: 6, targets: [t(`sum(chatorbit_rooms_active{${SEL}})`, 'rooms')] },
          {
            title: 'Messages in and out /s',
            description: 'In: accepted from clients. Out: received from the bus by pods with members in the room. Deliveries: written to sockets.',
            unit: 'short',
            targets: [
              t(`sum(${rate('chatorbit_messages_accepted_total')})`, 'in'),
              t(`sum(${rate('chatorbit_messages_fanned_out_total')})`, 'out (per pod)'),
              t(`sum(${rate('chatorbit_message_deliveries_total')})`, 'deliveries'),
            ],
          },
          { title: 'Refusals /s by reason', description: 'Sends and joins refused: banned, rate_limited, blocked_term, slow_mode, too_many_rooms, invalid.', unit: 'short', targets: [t(`sum by (reason) (${rate('chatorbit_refusals_total')})`, '{{reason}}')] },
        ],
      },
      {
        title: 'Latency',
        panels: [
          latency('Publish → deliver', "From a message's acceptance on its sender's pod to its frame written on each receiving pod (batch window included).", 'chatorbit_publish_deliver_duration_seconds'),
          latency('Send → ack', 'From a send frame read to its ack written (checks, the send script in Redis).', 'chatorbit_send_ack_duration_seconds'),
        ],
      },
      {
        title: 'Readiness and processes',
        panels: [
          { title: 'Ready pods by service', description: 'Pods whose /readyz passes (chatorbit_ready).', unit: 'short', targets: [t(`sum by (service) (chatorbit_ready{${SEL}})`, '{{service}}')] },
          { title: 'Dependencies up', description: 'Readiness checks at scrape time, the worst pod of each service (1 up, 0 down).', unit: 'short', targets: [t(`min by (service, dependency) (chatorbit_dependency_up{${SEL}})`, '{{service}} → {{dependency}}')] },
          { title: 'Event-loop lag p99', description: 'A blocked event loop delays every socket of the pod.', unit: 's', targets: [t(`max by (pod) (chatorbit_nodejs_eventloop_lag_p99_seconds{${SEL}})`, '{{pod}}')] },
          { title: 'CPU', description: 'CPU seconds per second, by pod.', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_process_cpu_seconds_total')})`, '{{pod}}')] },
          { title: 'Resident memory', description: 'Resident set size by pod.', unit: 'bytes', targets: [t(`sum by (pod) (chatorbit_process_resident_memory_bytes{${SEL}})`, '{{pod}}')] },
          { title: 'Heap used', description: 'V8 heap in use by pod.', unit: 'bytes', targets: [t(`sum by (pod) (chatorbit_nodejs_heap_size_used_bytes{${SEL}})`, '{{pod}}')] },
        ],
      },
    ],
  },
  {
    file: 'chat-fanout.json',
    uid: 'chatorbit-chat-fanout',
    title: 'ChatOrbit / Chat fan-out',
    description: 'Sockets, rooms and the path of a message from its sender to every recipient, by pod.',
    rows: [
      {
        title: 'Sockets and rooms',
        panels: [
          { title: 'Open WebSockets by pod', description: 'chatorbit_ws_connections_open.', unit: 'short', targets: [t(`sum by (pod) (chatorbit_ws_connections_open{${SEL}})`, '{{pod}}')] },
          { title: 'Connections accepted /s', description: 'Authenticated WebSocket connections, by pod.', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_ws_connections_accepted_total')})`, '{{pod}}')] },
          { title: 'Joins /s', description: 'Rooms joined; resume = a join with `since` after a reconnect.', unit: 'short', targets: [t(`sum by (kind) (${rate('chatorbit_room_joins_total')})`, '{{kind}}')] },
          {
            title: 'Rooms and memberships by pod',
            description: 'Rooms with local members (one pub/sub subscription each) and room memberships of local sockets.',
            unit: 'short',
            targets: [t(`sum by (pod) (chatorbit_rooms_active{${SEL}})`, 'rooms {{pod}}'), t(`sum by (pod) (chatorbit_room_members{${SEL}})`, 'members {{pod}}')],
          },
          {
            title: 'Presence',
            description: 'Summed over the rooms of each pod: viewers (sockets), signed-in users and guests (distinct per room).',
            unit: 'short',
            targets: [t(`sum by (kind) (chatorbit_presence_local{${SEL}})`, '{{kind}}')],
          },
          {
            title: 'Presence frames and failures /s',
            description: 'Presence frames (viewer counts) written to sockets; failed heartbeats or count reads (retried).',
            unit: 'short',
            targets: [t(`sum(${rate('chatorbit_presence_frames_total')})`, 'frames'), t(`sum(${rate('chatorbit_presence_failures_total')})`, 'failures')],
          },
          { title: 'Proxied WebSockets (gateway)', description: 'Sockets the gateway pods relay to chat.', unit: 'short', targets: [t(`sum by (pod) (chatorbit_gateway_ws_connections_open{${SEL}})`, '{{pod}}')] },
          { title: 'Slow consumers closed /s', description: 'Sockets closed with 4508 for falling more than MAX_BUFFERED_BYTES behind.', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_ws_slow_consumers_total')})`, '{{pod}}')] },
        ],
      },
      {
        title: 'Fan-out',
        panels: [
          {
            title: 'Messages in and out /s by pod',
            description: 'In: accepted from this pod\'s clients. Out: received from the bus for this pod\'s members.',
            unit: 'short',
            targets: [t(`sum by (pod) (${rate('chatorbit_messages_accepted_total')})`, 'in {{pod}}'), t(`sum by (pod) (${rate('chatorbit_messages_fanned_out_total')})`, 'out {{pod}}')],
          },
          { title: 'Deliveries /s by pod', description: 'Messages written to sockets (a batch of n to m members counts n×m).', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_message_deliveries_total')})`, '{{pod}}')] },
          { title: 'Frames written /s', description: 'Frames written to sockets: message (one message) or batch (a busy room\'s window).', unit: 'short', targets: [t(`sum by (kind) (${rate('chatorbit_fanout_frames_total')})`, '{{kind}}')] },
          {
            title: 'Batch size',
            description: 'Messages per frame built for a room: 1 below BATCH_MIN_RATE, more when a busy room is batched.',
            unit: 'short',
            targets: [
              t(`sum(${rate('chatorbit_fanout_batch_messages_sum')}) / sum(${rate('chatorbit_fanout_batch_messages_count')})`, 'mean'),
              t(quantile(0.99, 'chatorbit_fanout_batch_messages', ''), 'p99'),
            ],
          },
          latency('Publish → deliver by pod', 'Per receiving pod: from acceptance on the sender\'s pod to the frame written here.', 'chatorbit_publish_deliver_duration_seconds', 'pod'),
          latency('Send → ack by pod', 'Per sender\'s pod: from the send frame read to the ack written.', 'chatorbit_send_ack_duration_seconds', 'pod'),
          { title: 'Invalid bus events /s', description: 'Bus payloads dropped as not a known event version (a newer node during a rollout).', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_bus_invalid_events_total')})`, '{{pod}}')] },
        ],
      },
    ],
  },
  {
    file: 'moderation.json',
    uid: 'chatorbit-moderation',
    title: 'ChatOrbit / Moderation',
    description: 'Refusals, error frames and moderation actions.',
    rows: [
      {
        title: 'Refusals',
        panels: [
          { title: 'Refusals /s by reason', description: 'banned, rate_limited, blocked_term, slow_mode, too_many_rooms, invalid (malformed, too large, not joined).', unit: 'short', targets: [t(`sum by (reason) (${rate('chatorbit_refusals_total')})`, '{{reason}}')] },
          {
            title: 'Refused share of sends',
            description: 'Refusals / (refusals + accepted messages). The ChatOrbitRefusalRateHigh alert fires above 25%.',
            unit: 'percentunit',
            targets: [t(`sum(${rate('chatorbit_refusals_total')}) / (sum(${rate('chatorbit_refusals_total')}) + sum(${rate('chatorbit_messages_accepted_total')}))`, 'refused')],
          },
          { title: 'Error frames /s by code', description: 'Every error frame sent, refusals and `unavailable` backend failures.', unit: 'short', targets: [t(`sum by (code) (${rate('chatorbit_ws_frame_errors_total')})`, '{{code}}')] },
          { title: 'Refusals /s by pod', description: 'Where refused clients are connected.', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_refusals_total')})`, '{{pod}}')] },
          {
            title: 'Handshakes refused /s by reason',
            description: 'WebSockets closed at their handshake: the connection limits (handshake_rate, connections_per_ip, connections_per_user: 4429), unauthorized (4401), deactivated (4403), unavailable (1013), invalid_room (4400).',
            unit: 'short',
            targets: [t(`sum by (reason) (${rate('chatorbit_ws_handshake_refusals_total')})`, '{{reason}}')],
          },
        ],
      },
      {
        title: 'Actions',
        panels: [
          {
            title: 'Bans and timeouts /s',
            description: 'Bans, timeouts and unbans, in rooms and global.',
            unit: 'short',
            targets: [t(`sum by (action, scope) (${rate('chatorbit_moderation_actions_total', ',action=~"ban|timeout|unban"')})`, '{{action}} ({{scope}})')],
          },
          { title: 'All moderation actions /s', description: 'Every audited action (settings, roles, rate limits, deletions, rooms created).', unit: 'short', targets: [t(`sum by (action) (${rate('chatorbit_moderation_actions_total')})`, '{{action}}')] },
        ],
      },
    ],
  },
  {
    file: 'persistence.json',
    uid: 'chatorbit-persistence',
    title: 'ChatOrbit / Persistence',
    description: 'The persister (Redis stream → MongoDB) and the Redis and MongoDB clients.',
    rows: [
      {
        title: 'Persister',
        panels: [
          { title: 'Backlog (messages)', description: 'Accepted messages not yet in MongoDB (cluster-wide; every chat pod reports it).', unit: 'short', targets: [t(`max(chatorbit_persister_lag_entries{${SEL}})`, 'backlog')] },
          { title: 'Backlog age', description: 'Age of the oldest message not yet in MongoDB.', unit: 's', targets: [t(`max(chatorbit_persister_lag_seconds{${SEL}})`, 'oldest')] },
          { title: 'Messages persisted /s by pod', description: 'Each message is written by one pod of the consumer group.', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_persister_messages_total')})`, '{{pod}}')] },
          latency('Persister batch duration', 'One batch: insert into MongoDB, then acknowledge in Redis.', 'chatorbit_persister_batch_duration_seconds'),
          { title: 'Persister failures /s', description: 'Failed batches (retried with backoff; nothing is lost).', unit: 'short', targets: [t(`sum by (pod) (${rate('chatorbit_persister_failures_total')})`, '{{pod}}')] },
        ],
      },
      {
        title: 'Redis',
        panels: [
          latency('Redis command latency', 'By command; blocking reads (xreadgroup) left out.', 'chatorbit_redis_command_duration_seconds', 'command', ',command!="xreadgroup"'),
          { title: 'Redis commands /s', description: 'Commands that got a reply, by command.', unit: 'short', targets: [t(`sum by (command) (${rate('chatorbit_redis_command_duration_seconds_count')})`, '{{command}}')] },
          {
            title: 'Redis command errors /s',
            description: 'Failed commands by command (0 while none failed).',
            unit: 'short',
            targets: [t(orZero(`sum by (command) (${rate('chatorbit_redis_command_errors_total')})`, `sum by (command) (${rate('chatorbit_redis_command_duration_seconds_count')})`), '{{command}}')],
          },
          {
            title: 'Redis connections',
            description: 'Connections ready, by role; reconnections (a failover or a restart) in the window.',
            unit: 'short',
            targets: [
              t(`sum by (role) (chatorbit_redis_connections_ready{${SEL}})`, 'ready {{role}}'),
              t(orZero(`sum by (role) (increase(chatorbit_redis_reconnections_total{${SEL}}[${RATE}]))`, `sum by (role) (chatorbit_redis_connections_ready{${SEL}})`), 'reconnections {{role}}'),
            ],
          },
        ],
      },
      {
        title: 'MongoDB',
        panels: [
          latency('MongoDB command latency', 'By command, as the driver timed them.', 'chatorbit_mongodb_command_duration_seconds', 'command'),
          { title: 'MongoDB commands /s', description: 'Commands that succeeded, by command.', unit: 'short', targets: [t(`sum by (command) (${rate('chatorbit_mongodb_command_duration_seconds_count')})`, '{{command}}')] },
          {
            title: 'MongoDB command errors /s',
            description: 'Failed commands by command (0 while none failed).',
            unit: 'short',
            targets: [t(orZero(`sum by (command) (${rate('chatorbit_mongodb_command_errors_total')})`, `sum by (command) (${rate('chatorbit_mongodb_command_duration_seconds_count')})`), '{{command}}')],
          },
          { title: 'Dependencies up', description: 'Readiness checks at scrape time (chat: broker = Redis, log = MongoDB; auth, user: mongo).', unit: 'short', targets: [t(`min by (service, dependency) (chatorbit_dependency_up{${SEL}})`, '{{service}} → {{dependency}}')] },
        ],
      },
    ],
  },
  {
    file: 'http.json',
    uid: 'chatorbit-http',
    title: 'ChatOrbit / HTTP by service',
    description: 'HTTP requests of each service by route template and status.',
    service: true,
    rows: [
      {
        title: 'Requests',
        panels: [
          { title: 'Requests /s by status', description: 'By service and status code.', unit: 'reqps', targets: [t(`sum by (service, status_code) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service"')})`, '{{service}} {{status_code}}')] },
          {
            title: '5xx share',
            description: 'Share of requests answered 5xx, by service (the ChatOrbitHTTPErrorRate alert fires above 5%).',
            unit: 'percentunit',
            targets: [
              t(
                `${orZero(`sum by (service) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service",status_code=~"5.."')})`, `sum by (service) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service"')})`)} / sum by (service) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service"')})`,
                '{{service}}',
              ),
            ],
          },
          { title: 'Requests /s by route', description: 'By service, method and route template (never a raw URL).', unit: 'reqps', targets: [t(`sum by (service, method, route) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service"')})`, '{{service}} {{method}} {{route}}')] },
          { title: '4xx /s by route', description: 'Client errors by route and status (401 without a token, 404 unknown, 409 conflicts…).', unit: 'reqps', targets: [t(`sum by (service, route, status_code) (${rate('chatorbit_http_request_duration_seconds_count', ',service=~"$service",status_code=~"4.."')})`, '{{service}} {{route}} {{status_code}}')] },
        ],
      },
      {
        title: 'Latency',
        panels: [
          latency('Latency by service', 'Request duration by service.', 'chatorbit_http_request_duration_seconds', 'service', ',service=~"$service"'),
          { title: 'p99 by route', description: 'Slowest routes first.', unit: 's', targets: [t(quantile(0.99, 'chatorbit_http_request_duration_seconds', 'route', ',service=~"$service"'), '{{route}}')] },
        ],
      },
    ],
  },
];

const datasource = { type: 'prometheus', uid: '${datasource}' };

/** The Grafana JSON of one dashboard: templated on datasource, namespace and pod. */
export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? 12;
      const h = panel.type === 'stat' ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push({
        id: id++,
        type: panel.type ?? 'timeseries',
        title: panel.title,
        description: panel.description,
        datasource,
        gridPos: { h, w, x, y },
        fieldConfig: { defaults: { unit: panel.unit, ...(panel.type === 'stat' ? {} : { custom: { lineWidth: 1, fillOpacity: 10 } }) }, overrides: [] },
        options: panel.type === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' }
          : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: panel.targets.map((target, i) => ({ refId: String.fromCharCode(65 + i), datasource, expr: target.expr, legendFormat: target.legend, range: true })),
      });
      x += w;
    }
    y += 8;
  }
  const variable = (name: string, label: string, query: string, all: boolean) => ({
    name,
    label,
    type: 'query',
    datasource,
    definition: query,
    query: { query, refId: `${name}-query` },
    refresh: 2,
    sort: 1,
    includeAll: all,
    multi: all,
    ...(all ? { allValue: '.*', current: { text: 'All', value: '$__all' } } : {}),
    hide: 0,
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['chatorbit'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    links: [{ title: 'ChatOrbit dashboards', type: 'dashboards', tags: ['chatorbit'], asDropdown: true }],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', refresh: 1, hide: 0 },
        variable('namespace', 'Namespace', 'label_values(chatorbit_ready, namespace)', false),
        variable('pod', 'Pod', 'label_values(chatorbit_ready{namespace="$namespace"}, pod)', true),
        ...(spec.service ? [variable('service', 'Service', 'label_values(chatorbit_http_request_duration_seconds_count{namespace="$namespace"}, service)', true)] : []),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

/** Every dashboard file's content, as `pnpm dashboards` writes it. */
export function dashboardFiles(): Map<string, string> {
  return new Map(dashboardSpecs.map((spec) => [spec.file, `${JSON.stringify(dashboardJson(spec), null, 2)}\n`]));
}
