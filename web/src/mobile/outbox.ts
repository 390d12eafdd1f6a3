// The phone's outbox: every action of a grid worker (accept, report, finish) gets a client_id and
// waits here, kept in localStorage, until the server has it. The actions are sent one at a time in
// the order they were made. A network failure (fetch throws or times out, or 502/503/504 — and
// 408/429, which also say "later") keeps the action and stops the round; the next round comes with
// the `online` event, every 10 s, or a tap on "send now". The server counts an action sent again
// with the same client_id once (answers 200 with "replayed"), so a round that lost its answer is
// safe to repeat. Any other refusal (a 4xx: the order is no longer the worker's, or not in that
// status; or a 5xx other than the above) drops the action with an error for the worker to see; a
// 401 keeps it and asks for a new log-in. Each action carries its user name and is sent only under
// that user's session.

import { api, ApiError, type WorkOrder } from '../api';
import { workerActions } from '../dispatch';
import type { OrderStatus } from '../api';

export type WorkerAction = 'accept' | 'report' | 'finish';

export interface PhotoBody {
  media_type: string;
  content_base64: string;
}

export interface QueuedAction {
  client_id: string;
  user: string;
  order_id: number;
  action: WorkerAction;
  note?: string;
  photo?: PhotoBody;
  queued_at: string;
  attempts: number;
  last_error?: string;
}

export interface DroppedAction {
  client_id: string;
  order_id: number;
  action: WorkerAction;
  code: string;
  message: string;
  at: string;
}

export interface Credentials {
  token: string;
  user: string;
}

const QUEUE_KEY = 'zhizhi.m.outbox';
const DROPPED_KEY = 'zhizhi.m.dropped';
const RETRY_MS = 10_000;
const SEND_TIMEOUT_MS = 60_000; // a photo over a slow mobile network

// crypto.randomUUID needs a secure context; a phone on the district's intranet over plain HTTP
// may not be one, so a v4 UUID from getRandomValues otherwise.
export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function transient(e: unknown): boolean {
  if (!(e instanceof ApiError)) return true; // aborted on the time-out, or fetch itself failed
  return e.status === 0 || e.status === 408 || e.status === 429 || e.status === 502 || e.status === 503 || e.status === 504;
}

function readList<T>(key: string): T[] {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(value) ? (value as T[]) : [];
  } catch {
    return [];
  }
}

export class Outbox {
  private items: QueuedAction[] = readList<QueuedAction>(QUEUE_KEY).filter(
    (i) => typeof i?.client_id === 'string' && Number.isInteger(i.order_id) && i.action in workerActions,
  );
  private droppedItems: DroppedAction[] = readList<DroppedAction>(DROPPED_KEY);
  private listeners = new Set<() => void>();
  private sending = false;
  private again = false;
  private timer: number | undefined;
  // Whether the last save failed (storage full): the queue then lives only in this page.
  unsaved = false;
  // Whether the last round stopped on a network failure.
  offline = false;

  constructor(
    private credentials: () => Credentials | null,
    private sent: (order: WorkOrder) => void,
    private authLost: () => void,
  ) {}

  start(): void {
    window.addEventListener('online', this.onOnline);
    this.timer = window.setInterval(() => void this.flush(), RETRY_MS);
    void this.flush();
  }

  stop(): void {
    window.removeEventListener('online', this.onOnline);
    window.clearInterval(this.timer);
  }

  private onOnline = () => void this.flush();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private save(): void {
    try {
      localStorage.setItem(QUEUE_KEY, JSON.stringify(this.items));
      localStorage.setItem(DROPPED_KEY, JSON.stringify(this.droppedItems));
      this.unsaved = false;
    } catch {
      this.unsaved = true;
    }
  }

  // The actions waiting under `user`'s name, oldest first.
  waiting(user: string | null): QueuedAction[] {
    return this.items.filter((i) => i.user === user);
  }

  forOrder(user: string | null, order: number): QueuedAction[] {
    return this.waiting(user).filter((i) => i.order_id === order);
  }

  dropped(): DroppedAction[] {
    return this.droppedItems;
  }

  dismiss(clientId: string): void {
    this.droppedItems = this.droppedItems.filter((d) => d.client_id !== clientId);
    this.save();
    this.changed();
  }

  // The status an order shows: the server's, with the waiting actions applied.
  shownStatus(user: string | null, order: Pick<WorkOrder, 'id' | 'status'>): OrderStatus {
    let status = order.status;
    for (const a of this.forOrder(user, order.id)) {
      const rule = workerActions[a.action];
      if (rule.from.includes(status)) status = rule.to;
    }
    return status;
  }

  add(user: string, order: number, action: WorkerAction, note?: string, photo?: PhotoBody): QueuedAction {
    const item: QueuedAction = {
      client_id: newClientId(),
      user,
      order_id: order,
      action,
      ...(note ? { note } : {}),
      ...(photo ? { photo } : {}),
      queued_at: new Date().toISOString(),
      attempts: 0,
    };
    this.items.push(item);
    this.save();
    this.changed();
    void this.flush();
    return item;
  }

  // One round: send the current user's actions in order until one cannot be sent now.
  async flush(): Promise<void> {
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    try {
      for (;;) {
        const who = this.credentials();
        if (!who) return;
        const next = this.items.find((i) => i.user === who.user);
        if (!next) {
          this.offline = false;
          return;
        }
        const body: Record<string, unknown> = { client_id: next.client_id };
        if (next.note) body.note = next.note;
        if (next.photo) body.photo = next.photo;
        const abort = new AbortController();
        const timeout = window.setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
        try {
          const answer = await api<WorkOrder>('POST', `/api/v1/work-orders/${next.order_id}/${next.action}`, body, who.token, abort.signal);
          this.items = this.items.filter((i) => i.client_id !== next.client_id);
          this.offline = false;
          this.save();
          this.sent(answer);
        } catch (e) {
          if (transient(e)) {
            next.attempts += 1;
            next.last_error = (e as Error).message;
            this.offline = true;
            this.save();
            return;
          }
          const err = e as ApiError;
          if (err.status === 401) {
            // Only if it is still that user's session: an old request must not log another out.
            if (this.credentials()?.token === who.token) this.authLost();
            return;
          }
          this.items = this.items.filter((i) => i.client_id !== next.client_id);
          this.droppedItems.push({
            client_id: next.client_id,
            order_id: next.order_id,
            action: next.action,
            code: err.code,
            message: err.message,
            at: new Date().toISOString(),
          });
          this.save();
        } finally {
          window.clearTimeout(timeout);
          this.changed();
        }
      }
    } finally {
      this.sending = false;
      if (this.again) {
        this.again = false;
        void this.flush();
      }
    }
  }
}
