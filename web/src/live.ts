// The live gate feed: one WebSocket to GET /api/v1/live?access_token=… (docs/gate.md), shared by
// every page, reconnecting with back-off when it drops. Listeners get each committed pass, and
// alarm listeners each IoT alarm whose alert was committed.

import { token, type LiveIotAlarm, type LivePass } from './api';

export type { LiveIotAlarm };

type Listener = (pass: LivePass) => void;
type AlarmListener = (alarm: LiveIotAlarm) => void;
type StateListener = (connected: boolean) => void;

const listeners = new Set<Listener>();
const alarmListeners = new Set<AlarmListener>();
const stateListeners = new Set<StateListener>();
let socket: WebSocket | null = null;
let retry = 0;
let timer: number | undefined;
let wanted = false;

function url(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/live?access_token=${encodeURIComponent(token() ?? '')}`;
}

function setState(connected: boolean): void {
  for (const l of stateListeners) l(connected);
}

function connect(): void {
  if (!wanted || socket) return;
  const ws = new WebSocket(url());
  socket = ws;
  ws.onopen = () => {
    retry = 0;
    setState(true);
  };
  ws.onmessage = (event) => {
    let message: any;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (message?.type === 'pass') {
      for (const l of listeners) l(message as LivePass);
    } else if (message?.type === 'iot_alarm') {
      for (const l of alarmListeners) l(message as LiveIotAlarm);
    }
  };
  ws.onclose = () => {
    socket = null;
    setState(false);
    if (!wanted) return;
    retry = Math.min(retry + 1, 6);
    timer = window.setTimeout(connect, 500 * 2 ** (retry - 1));
  };
  ws.onerror = () => ws.close();
}

export function startLive(): void {
  wanted = true;
  connect();
}

export function stopLive(): void {
  wanted = false;
  window.clearTimeout(timer);
  socket?.close();
  socket = null;
}

export function onPass(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onIotAlarm(listener: AlarmListener): () => void {
  alarmListeners.add(listener);
  return () => alarmListeners.delete(listener);
}

export function onLiveState(listener: StateListener): () => void {
  stateListeners.add(listener);
  listener(socket?.readyState === WebSocket.OPEN);
  return () => stateListeners.delete(listener);
}
