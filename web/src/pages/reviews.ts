// The review queue of record linkage: the pairs of person records the last linking run could not
// settle (grey zone, name and birth date only, or refused as a conflict), strongest first, each
// side by side with the weight every field added or took away, and two buttons — the same
// person, not the same person. A decision is sent with ?wait so the linking run it queues has
// finished when the pair leaves the list. Pairs a reviewer already decided are not asked again.
// Coded against GET /api/v1/linkage/reviews, GET and POST /api/v1/linkage/decisions.

import { ApiError, get, post, type LinkageDecision, type LinkageReview, type SourceRecord } from '../api';
import { describeError, fieldLabel, fileHref, kinds, Secrets, sourceLabel } from '../basedata';
import { card, h, link, replace } from '../dom';
import { formatNumber, label, t } from '../i18n';

const PAGE = 50;
const WAIT = 10; // seconds the decision waits for the linking run
const FULL_BAR = 20; // bits at which a field's bar fills its half

const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

// The pairs decided and not undone, by key.
async function decidedPairs(): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const answer: { items: LinkageDecision[]; next_cursor: string | null } = await get(
      `/api/v1/linkage/decisions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const d of answer.items) if (!d.undone_at) keys.add(pairKey(d.record_a, d.record_b));
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return keys;
}

// A bar from the middle: right and green for evidence of the same person, left and red against.
function weightBar(weight: number): HTMLElement {
  const share = Math.min(1, Math.abs(weight) / FULL_BAR) * 50;
  const side = weight > 0 ? 'pos' : weight < 0 ? 'neg' : 'zero';
  return h(
    'div.wbar',
    h(`div.wbar-fill.${side}`, { style: { width: `${share.toFixed(1)}%`, [weight < 0 ? 'right' : 'left']: '50%' } }),
    h('div.wbar-mid'),
  );
}

function side(r: SourceRecord, which: 'a' | 'b'): HTMLElement {
  return h(
    'th.side',
    { 'data-side': which, 'data-record': r.record_id },
    h('div', sourceLabel(r.source), h('span.mono.small.muted', ` · ${r.source_id}`)),
    h('div.small', link(fileHref('person', r.entity_id), t('reviews.file', { id: r.entity_id }))),
  );
}

function reviewCard(r: LinkageReview, secrets: Secrets, decide: (r: LinkageReview, same: boolean, note: string, el: HTMLElement) => void): HTMLElement {
  const note = h('input', { type: 'text', maxLength: 500, placeholder: t('reviews.note'), size: 30, 'data-testid': 'review-note' }) as HTMLInputElement;
  const same = h('button.primary', { type: 'button', 'data-decision': 'same' }, t('reviews.same'));
  const different = h('button.danger', { type: 'button', 'data-decision': 'different' }, t('reviews.different'));
  const el = h(
    'section.card.review',
    { 'data-review': r.id, 'data-a': r.a.record_id, 'data-b': r.b.record_id },
    h(
      'header.card-head',
      h('h2', h(`span.badge.reason-${r.reason}`, label('review_reason', r.reason))),
      h(
        'span.review-score',
        h('span', { 'data-testid': 'review-weight', 'data-value': r.weight }, t('reviews.weight', { w: r.weight.toFixed(1) })),
        ' · ',
        h('span', { 'data-testid': 'review-probability', 'data-value': r.probability }, t('reviews.probability', { p: (r.probability * 100).toFixed(1) })),
      ),
    ),
    h(
      'table.table.review-fields',
      h('thead', h('tr', h('th', t('reviews.field')), side(r.a, 'a'), h('th.weight-head', t('reviews.weights')), side(r.b, 'b'))),
      h(
        'tbody',
        r.fields.map((f) => {
          const inRecords = kinds.person.fields.includes(f.field); // not term_frequency, prior
          return h(
            'tr',
            { 'data-field': f.field, 'data-level': f.level, 'data-weight': f.weight },
            h('td.nowrap', fieldLabel(f.field)),
            h(f.field === 'address' ? 'td.wrap' : 'td.nowrap', { 'data-side': 'a' }, inRecords ? secrets.value(f.field, r.a.fields[f.field]) : ''),
            h(
              'td.weight',
              weightBar(f.weight),
              h('div.small.weight-text', h('span.muted', label('match_level', f.level)), ' ', h(`span.num.${f.weight > 0 ? 'pos' : f.weight < 0 ? 'neg' : 'zero'}`, `${f.weight > 0 ? '+' : ''}${f.weight.toFixed(1)}`)),
            ),
            h(f.field === 'address' ? 'td.wrap' : 'td.nowrap', { 'data-side': 'b' }, inRecords ? secrets.value(f.field, r.b.fields[f.field]) : ''),
          );
        }),
      ),
    ),
    h('div.review-actions', note, same, different),
  );
  same.addEventListener('click', () => decide(r, true, note.value.trim(), el));
  different.addEventListener('click', () => decide(r, false, note.value.trim(), el));
  return el;
}

export function reviewsPage(root: HTMLElement): () => void {
  let disposed = false;
  let secrets = new Secrets();
  const error = h('p.error', { role: 'alert' });
  const status = h('p.muted', { role: 'status', 'data-testid': 'reviews-status' });
  const count = h('span.count', { 'data-testid': 'reviews-count' });
  const list = h('div.review-list', { 'data-testid': 'reviews' });
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'reviews-more' }, t('addresses.more'));
  const reveal = h('span');
  const refresh = h('button.ghost', { type: 'button', 'data-testid': 'reviews-refresh' }, t('reviews.refresh'));
  const [listCard, listBody] = card(t('reviews.queue'), 'reviews-card', h('span.tools', count, reveal, refresh));
  listBody.append(h('p.muted.small', t('reviews.hint')), status, list, h('div.more', more));
  replace(
    root,
    h(
      'div.reviews-page',
      h(
        'div.page-head',
        h('a.back', { href: '/basedata', 'data-route': '1' }, `← ${t('basedata.title')}`),
        h('h1.page-title', t('reviews.title')),
      ),
      error,
      listCard,
    ),
  );
  document.title = `${t('reviews.title')} · ${t('app.short')}`;

  let decided = new Set<string>();
  let cursor: string | null = null;
  let seq = 0;

  const showCount = () => {
    const n = list.querySelectorAll('.review').length;
    count.textContent = cursor ? t('reviews.count_more', { n: formatNumber(n) }) : t('reviews.count', { n: formatNumber(n) });
    count.dataset.value = String(n);
    list.querySelector('.empty')?.remove();
    if (n === 0) list.append(h('p.empty', { 'data-testid': 'reviews-empty' }, t('reviews.none')));
  };

  const decide = async (r: LinkageReview, same: boolean, note: string, el: HTMLElement) => {
    const buttons = [...el.querySelectorAll('button')];
    buttons.forEach((b) => b.setAttribute('disabled', ''));
    el.dataset.state = 'deciding';
    try {
      await post(`/api/v1/linkage/decisions?wait=${WAIT}`, {
        record_a: r.a.record_id,
        record_b: r.b.record_id,
        decision: same ? 'same' : 'different',
        ...(note ? { note } : {}),
      });
      if (disposed) return;
      decided.add(pairKey(r.a.record_id, r.b.record_id));
      el.remove();
      status.textContent = t(same ? 'reviews.decided_same' : 'reviews.decided_different', {
        a: `${sourceLabel(r.a.source)} ${r.a.source_id}`,
        b: `${sourceLabel(r.b.source)} ${r.b.source_id}`,
      });
      showCount();
    } catch (e) {
      if (disposed) return;
      buttons.forEach((b) => b.removeAttribute('disabled'));
      el.dataset.state = 'failed';
      error.textContent = describeError(e);
    }
  };

  const load = async (from: string | null) => {
    const mine = ++seq;
    more.setAttribute('disabled', '');
    listCard.dataset.state = 'loading';
    try {
      if (!from) decided = await decidedPairs();
      const answer = await get<{ items: LinkageReview[]; next_cursor: string | null }>(
        `/api/v1/linkage/reviews?limit=${PAGE}${from ? `&cursor=${encodeURIComponent(from)}` : ''}`,
      );
      if (disposed || mine !== seq) return;
      error.textContent = '';
      if (!from) {
        secrets = new Secrets();
        replace(list);
        status.textContent = '';
      }
      cursor = answer.next_cursor;
      more.hidden = !cursor;
      const open = answer.items.filter((r) => !decided.has(pairKey(r.a.record_id, r.b.record_id)));
      list.append(...open.map((r) => reviewCard(r, secrets, (...args) => void decide(...args))));
      replace(reveal, secrets.toggle());
      showCount();
      listCard.dataset.state = 'done';
    } catch (e) {
      if (disposed || mine !== seq) return;
      listCard.dataset.state = 'failed';
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        replace(list, h('p.empty', t('common.unavailable', { path: 'GET /api/v1/linkage/reviews' })));
        return;
      }
      error.textContent = describeError(e);
    } finally {
      more.removeAttribute('disabled');
    }
  };
  more.addEventListener('click', () => void load(cursor));
  refresh.addEventListener('click', () => void load(null));

  void load(null).finally(() => {
    if (!disposed) root.dataset.ready = '1';
  });
  return () => {
    disposed = true;
  };
}
