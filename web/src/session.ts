// Who is logged in (GET /api/v1/sessions/current: name, role, rights), asked once per token. The
// header shows the entries a caller's rights open (the lottery only to those with lottery.read);
// the server decides every call anyway, so a missing answer only hides those entries.

import { get, token, type CurrentSession } from './api';

let asked: { token: string; answer: Promise<CurrentSession | null> } | null = null;

export function currentSession(): Promise<CurrentSession | null> {
  const mine = token();
  if (!mine) return Promise.resolve(null);
  if (asked?.token !== mine) {
    const answer = get<CurrentSession>('/api/v1/sessions/current').catch(() => {
      if (asked?.token === mine) asked = null; // asked again next time
      return null;
    });
    asked = { token: mine, answer };
  }
  return asked.answer;
}

export function hasRight(session: CurrentSession | null, right: string): boolean {
  return !!session?.rights?.includes(right);
}
