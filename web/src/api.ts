// The zhizhi API as the screen uses it: a bearer token kept in browser storage, JSON in and out,
// errors as ApiError with the server's stable code. Optional modules (alerts, residence
// registrations) answer 404 on servers that do not have them yet: `optional()` turns that into
// null so the screen hides the section instead of inventing numbers.

const TOKEN_KEY = 'zhizhi.token';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    // The whole `error` object of the answer: `field`, and what some errors add (a CSV's
    // `problems`, a lottery's `shortfalls`, sometimes under `details`).
    public details: Record<string, any> = {},
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null, remember = false): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  if (value) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
}

let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = token(),
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', (e as Error).message);
  }
  const text = await response.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = json?.error ?? {};
    if (response.status === 401 && auth && auth === token()) onUnauthenticated();
    throw new ApiError(response.status, error.code ?? `http_${response.status}`, error.message ?? response.statusText, error);
  }
  return json as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);

// GET that answers null when the endpoint does not exist on this server (404 not_found for an
// unknown path) — for modules that land in later issues.
export async function optional<T = any>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export const enc = encodeURIComponent;

// ---- shapes the screen reads (subsets of the server's answers)

export interface Overview {
  date: string;
  projects: { total: number; by_status: Record<string, number> };
  enrolled: { workers: number; managers: number };
  today: { present: number; allowed: number; denied: number };
  devices: { total: number; online: number; disabled: number };
  certificates: { expired: number; expiring: number };
  onsite: { total: number };
}

export interface ProjectRow {
  code: string;
  name: string;
  status: string;
  address?: string;
  lat?: number;
  lng?: number;
  workers: number;
  managers: number;
}

export interface Alert {
  id: number;
  type: string;
  severity: 'red' | 'orange' | 'yellow' | 'blue';
  status: 'open' | 'acknowledged' | 'resolved';
  subject_kind: string;
  subject_id: string;
  project_code: string | null;
  person_id: number | null;
  device_id: number | null;
  message: string;
  evidence: { kind: string; id: string; href: string }[];
  first_seen: string;
  last_seen: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  note: string | null;
}

export interface AlertList {
  items: Alert[];
  next_cursor: string | null;
  counts: {
    total: number;
    by_type: Record<string, number>;
    by_severity: Record<string, number>;
    by_project: Record<string, number>;
  };
}

export interface LivePass {
  type: 'pass';
  project_code: string;
  seq: number;
  person_id: number | null;
  name: string;
  decision: 'allow' | 'deny';
  reasons: string[];
  direction: 'in' | 'out';
  time: string;
  onsite_count: number;
  duplicate?: boolean;
}

// An IoT alarm on the same socket, sent once its alert is committed (docs/iot.md); part may be ''.
export interface LiveIotAlarm {
  type: 'iot_alarm';
  alarm_type: string;
  severity: 'red' | 'orange' | 'yellow' | 'blue';
  device_id: number;
  serial: string;
  part: string;
  message: string;
  alert_id: number;
  time: string;
}

// A division of the gazetteer (GET /api/v1/divisions[/{code}]); code and name are null at the
// root, whose children are the provinces.
export interface Division {
  code: string | null;
  name: string | null;
  level: string | null;
  parent: string | null;
  children: { code: string; name: string }[];
}

export const addressLevels = ['province', 'city', 'county', 'town', 'village'] as const;
export type AddressLevel = (typeof addressLevels)[number];

// One line of POST /api/v1/addresses:standardize: the codes of the levels it settled (null
// below them) and the components under the village, or the line's error.
export type StandardizedAddress =
  | ({
      [level in AddressLevel]: string | null;
    } & {
      road: string | null;
      number: string | null;
      building: string | null;
      unit: string | null;
      room: string | null;
      confidence: number;
      canonical: string;
      standard_address_id?: number;
      road_as_typed?: string; // the road as typed, when corrected to one of the county's roads
      error?: undefined;
    })
  | { error: { code: string; message: string } };

// A standard address of the district (GET /api/v1/addresses).
export interface StandardAddress {
  id: number;
  code: string;
  kind: 'door' | 'household';
  village: string | null;
  canonical: string;
  road: string | null;
  number: string | null;
  building: string | null;
  unit: string | null;
  room: string | null;
}

export interface StandardAddressList {
  items: StandardAddress[];
  next_cursor: string | null;
}

// ---- base data (三实: people, houses, units), docs/basedata.md "The API"

export interface BaseCounts {
  people: number;
  houses: number;
  units: number;
  alerts: number;
}

export interface BaseCommunity extends BaseCounts {
  code: string;
  name: string;
}

export interface BaseStreet extends BaseCommunity {
  communities: BaseCommunity[];
}

// GET /api/v1/basedata/figures: per street and community, what no community was settled for,
// and the live records per source.
export interface BaseFigures {
  totals: BaseCounts;
  streets: BaseStreet[];
  unplaced: BaseCounts;
  sources: { source: string; kind: BaseKind; records: number }[];
}

export type BaseKind = 'person' | 'house' | 'unit';

// A list item of GET /api/v1/people|houses|units (and the links of an entity): the golden values
// by field name beside id, village, records and updated_at.
export interface BaseSummary {
  id: number;
  village: string | null;
  records: number;
  updated_at: string;
  [field: string]: string | number | null;
}

export interface BaseList {
  items: BaseSummary[];
  next_cursor: string | null;
}

// A golden field: its value, the record it came from, and how many records agree with it.
export interface GoldenField {
  value: string;
  source: string;
  source_id: string;
  agree: number;
  of: number;
}

export interface SourceRecord {
  record_id: number;
  source: string;
  source_id: string;
  fields: Record<string, string>;
  updated_at: string;
  entity_id: number;
}

// GET /api/v1/people|houses|units/{id}; the links a kind has are set, the others absent.
export interface BaseEntity {
  id: number;
  kind: BaseKind;
  village: string | null;
  standard_address_id: number | null;
  updated_at?: string;
  fields: Record<string, GoldenField>;
  records: SourceRecord[];
  houses?: BaseSummary[];
  units?: BaseSummary[];
  occupants?: BaseSummary[];
  people?: BaseSummary[];
  link_counts?: Record<string, number>; // each list's total (the lists stop at a limit)
}

// A pair of person records the last linking run left to a person (GET /api/v1/linkage/reviews).
export interface LinkageReview {
  id: number;
  weight: number;
  probability: number;
  reason: string;
  fields: { field: string; level: string; weight: number }[];
  a: SourceRecord;
  b: SourceRecord;
}

export interface LinkageDecision {
  id: number;
  record_a: number;
  record_b: number;
  decision: 'same' | 'different';
  note: string;
  actor: string;
  decided_at: string;
  undone_at: string | null;
}

// ---- the resettlement-housing lottery (安置房抽号分房), docs/lottery.md

export type LotteryStatus = 'draft' | 'committed' | 'drawing' | 'drawn' | 'signed';

export interface LotteryRule {
  tag: string;
  name: string;
  tier: number;
  max_floor?: number;
}

export interface LotteryNotary {
  name: string;
  signed_at: string;
  statement: string;
  record_hash: string;
}

// GET /api/v1/lotteries/{id} (and the items of the lists, without `rules`); a draft also has
// `problems`, what still keeps it from being committed.
export interface LotterySummary {
  id: number;
  title: string;
  status: LotteryStatus;
  interval_ms?: number;
  counts: { households: number; flat: number; parking: number; farm_room: number };
  rules?: LotteryRule[];
  inputs_hash: string | null;
  commitment: string | null;
  entropy: string | null;
  progress: { done: number; total: number };
  created_at?: string;
  committed_at: string | null;
  started_at: string | null;
  drawn_at: string | null;
  notary?: LotteryNotary;
  problems?: string[];
}

// One household's draw: what it got, one entry per entitlement.
export interface LotteryResult {
  order: number;
  household: string;
  flat: (string | null)[];
  parking: (string | null)[];
  farm_room: (string | null)[];
  name?: string; // on the board: the masked head of household
}

// GET /api/v1/public/lotteries/{id}/board?after=N&wait=S: the summary and the results after N.
export interface LotteryBoard extends LotterySummary {
  results: LotteryResult[];
}

export interface LotteryFlat {
  id: string;
  type: string;
  floor: number;
  building?: string;
  unit?: string;
  room?: string;
  area_m2?: string;
}

export interface LotteryHousehold {
  id: string;
  name?: string;
  flats?: string[];
  parking?: number;
  farm_room?: number;
  tags?: string[];
  area_quota_m2?: string;
}

export interface LotteryInputs {
  title: string;
  rules?: LotteryRule[];
  households: LotteryHousehold[];
  // parking and farm_room may be absent (none); rules likewise
  pools: { flat: LotteryFlat[]; parking?: { id: string; location?: string }[]; farm_room?: { id: string; location?: string }[] };
}

// GET /api/v1/public/lotteries/{id}/record: what `zhizhi lottery verify` checks, and information.
export interface LotteryRecord {
  algorithm: { name: string; version: number };
  lottery_id: number;
  title: string;
  status: LotteryStatus;
  inputs_hash: string;
  commitment: string;
  committed_at?: string;
  started_at?: string;
  drawn_at?: string;
  seed: { secret: string | null; entropy: string | null; value: string | null };
  inputs: LotteryInputs;
  results: LotteryResult[];
  notary?: LotteryNotary;
}

// GET /api/v1/sessions/current: who the caller is.
export interface CurrentSession {
  name: string;
  role: string;
  rights: string[];
}

// ---- five-colour warning of areas and work-order dispatch (issue 28)

export const colours = ['red', 'orange', 'yellow', 'blue', 'green'] as const;
export type Colour = (typeof colours)[number];
export type AreaLevel = 'street' | 'community' | 'grid';
export type Bilingual = { zh: string; en: string };

// An area of the district (GET /api/v1/areas): streets and communities from the gazetteer, grids
// made by an administrator.
export interface Area {
  code: string;
  level: AreaLevel;
  name: string;
  parent: string | null;
  lat: number | null;
  lng: number | null;
}

// What an indicator counted, as the warning names it: an alert or a work order.
export interface WarningExample {
  kind: 'alert' | 'work_order';
  id: number;
  type?: string;
  [field: string]: unknown;
}

// One condition of the rulebook that holds for an area.
export interface WarningReason {
  indicator: string;
  label: Bilingual;
  value: number;
  at_least: number;
  examples: WarningExample[];
}

export interface AreaWarning extends Area {
  colour: Colour;
  reasons: WarningReason[];
  since: string | null;
}

// GET /api/v1/warnings/areas?level=&parent=
export interface AreaWarningList {
  items: AreaWarning[];
  counts: Record<Colour, number>;
  unplaced: Record<string, number>;
  rulebook: { name: string; version: string };
  computed_at: string | null;
}

// GET /api/v1/warnings/areas/{code}
export interface AreaWarningDetail extends AreaWarning {
  indicators: Record<string, number>;
  ancestors: { code: string; name: string }[];
  children: AreaWarning[];
  history: { colour: Colour; previous: Colour | null; reasons: WarningReason[]; rulebook: string; at: string }[];
  rulebook: { name: string; version: string };
}

// GET /api/v1/warnings/rulebook (the parts the screen reads).
export interface WarningRulebook {
  name: string;
  version: string;
  indicators: Record<string, Bilingual>;
}

export const orderStatuses = ['received', 'assigned', 'in_progress', 'reported', 'finished', 'closed'] as const;
export type OrderStatus = (typeof orderStatuses)[number];
export const priorities = ['red', 'orange', 'yellow', 'blue'] as const;
export type Priority = (typeof priorities)[number];
export type OrderAction = 'assign' | 'accept' | 'report' | 'finish' | 'close' | 'reopen' | 'supervise';

export interface WorkOrder {
  id: number;
  title: string;
  category: string;
  category_label: Bilingual | null;
  priority: Priority;
  area_code: string;
  area_name: string | null;
  source: 'manual' | 'alert' | 'iot' | 'dispute';
  source_id: string | null;
  alert_id: number | null;
  description: string | null;
  lat: number | null;
  lng: number | null;
  status: OrderStatus;
  department: string | null;
  assignee: string | null;
  created_at: string;
  created_by: string;
  due_at: string | null;
  overdue: boolean;
  finished_at: string | null;
  closed_at: string | null;
  escalated_at: string | null;
  supervisions: number;
  updated_at: string;
  replayed?: boolean;
}

export interface OrderStep {
  id: number;
  at: string;
  actor: string;
  action: string;
  from: OrderStatus | null;
  to: OrderStatus;
  note: string | null;
  detail: Record<string, unknown> | null;
}

export interface OrderPhoto {
  id: number;
  step_id: number;
  media_type: string;
  bytes: number;
  at: string;
  href: string;
}

// GET /api/v1/work-orders/{id}
export interface WorkOrderDetail extends WorkOrder {
  history: OrderStep[];
  photos: OrderPhoto[];
  alert?: { id: number; type: string; severity: string; status: string; message: string };
}

export interface WorkOrderList {
  items: WorkOrder[];
  next_cursor: string | null;
  counts: Partial<Record<OrderStatus, number>>;
}

// GET /api/v1/dispatch/rules (the parts the screen reads).
export interface DispatchRules {
  name?: string;
  version?: string;
  categories: Record<string, Bilingual & { department: string; working_days?: number; hours?: number }>;
  departments: Record<string, Bilingual>;
}

// GET /api/v1/me/duty
export interface Duty {
  user: string;
  on_duty: boolean;
  lat: number | null;
  lng: number | null;
  updated_at: string | null;
  areas: { code: string; name: string }[];
}

// ---- IoT: fire-safety devices and tower cranes (issue 27, docs/iot.md)

export const iotKinds = ['fire_panel', 'uitd', 'smoke_detector', 'electrical_fire', 'water_pressure', 'tower_crane'] as const;
export type IotKind = (typeof iotKinds)[number];
export const iotStates = ['online', 'offline', 'never'] as const;
export type IotState = (typeof iotStates)[number];
// The kinds whose parts are reported through GB/T 26875 (a fire panel behind its transmission
// device, or the device itself): their page lists the parts.
export const fireKinds: readonly string[] = ['fire_panel', 'uitd', 'smoke_detector'];

// An item of GET /api/v1/iot/devices.
export interface IotDevice {
  id: number;
  kind: IotKind;
  serial: string;
  name: string;
  project_code: string | null;
  address: string | null;
  community_code: string | null;
  model: string | null;
  state: IotState;
  first_seen: string | null;
  last_seen: string | null;
  open_alarms: number;
}

export interface IotCounts {
  total: number;
  by_state: Partial<Record<IotState, number>>;
  by_kind: Partial<Record<string, number>>;
}

export interface IotDeviceList {
  items: IotDevice[];
  next_cursor: string | null;
  counts: IotCounts;
}

// A part behind a fire panel (GB/T 26875.3 part status and analog values).
export interface IotPart {
  part: string;
  system_type: number;
  system_address: number;
  part_type: number;
  part_address: number;
  description: string;
  status: number | null;
  flags: string[];
  first_seen: string | null;
  last_seen: string | null;
  analogs: Record<string, unknown> | null;
}

export type IotVerdict = 'real' | 'false';

export interface IotAlarm {
  id: number;
  type: string;
  part: string | null;
  alert_id: number | null;
  raised_at: string;
  recovered_at: string | null;
  verdict: IotVerdict | null;
  verdict_by: string | null;
  note: string | null;
}

export interface CraneSession {
  id: number;
  person_id: number;
  name: string;
  started_at: string;
  ended_at?: string | null;
  end_reason?: string | null;
  score?: number | null;
}

// GET /api/v1/iot/devices/{id}
export interface IotDeviceDetail extends IotDevice {
  values: Record<string, unknown> | null;
  parts: IotPart[];
  alarms: IotAlarm[];
  session: CraneSession | null;
  sessions: CraneSession[];
  counters: { messages: number; dropped: number };
}

// GET /api/v1/iot/stats
export interface IotStats {
  devices: IotCounts;
  messages: { received: number; dropped: number; dropped_by_code: Record<string, number> };
  alarms: { open: number; by_type: Record<string, number> };
}
