// The public side of the resettlement-housing lottery (docs/lottery.md), without logging in: the
// list of published draws, and a draw's live board for the big screen of the hall.
//
// The board, dark and in large type to be read from the back of the hall:
//   before the draw  the commitment and the inputs hash (published before anyone knows the
//                    entropy), the counts of households, flats, parking spaces and farm-tool
//                    rooms, the priority rules, 待抽签;
//   during the draw  the household just drawn (order, id, masked name, its flats, parking and
//                    farm-tool room) in very large type, the progress, every result so far (the
//                    newest on top), the notary's entropy;
//   after the draw   抽签结束, the secret and the seed, how to verify, the record to download.
// It long-polls GET /api/v1/public/lotteries/{id}/board?after=<results shown>&status=<the status
// on show>&wait=20: the server answers as soon as a result is written or the status changes (the
// notary starts the draw, it ends, it is signed off). It stops when the page is left and backs off
// on errors. The secret and the seed are read from the public record once the draw is over (the
// board's answer does not carry them); the flats' buildings, rooms and areas from the published
// inputs in the same record.

import { api, ApiError, type LotteryBoard, type LotteryFlat, type LotteryHousehold, type LotteryRecord, type LotteryResult, type LotterySummary } from '../api';
import { h, link, replace } from '../dom';
import { formatNumber, formatTime, lang, t } from '../i18n';
import { flatText, hexBlocks, places, publicPath, resultsHead, rulesList, statusLabel } from '../lottery';

const WAIT = 20; // seconds the server may hold a board request
const BEFORE_DRAW = 1500; // ms before asking again when the server could not wait (before the draw)
const AFTER_DRAW = 10000; // the same once the draw is over

const isOver = (status: string) => status === 'drawn' || status === 'signed';

// Resolves after `ms`, or at once when `signal` aborts.
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = window.setTimeout(done, ms);
    function done() {
      window.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function publicHead(...extra: (HTMLElement | null)[]): HTMLElement {
  return h('header.public-head', h('span.logo', '治'), h('span.public-brand', t('app.short')), ...extra);
}

// ---- the list of published draws

export function lotteryListPage(root: HTMLElement): () => void {
  let disposed = false;
  const error = h('p.error', { role: 'alert' });
  const body = h('div', { 'data-testid': 'public-lotteries' }, h('p.muted', t('common.loading')));
  replace(
    root,
    h(
      'div.public-page',
      publicHead(h('h1.page-title', t('lottery.public_list'))),
      h('p.muted', t('lottery.public_hint')),
      error,
      body,
    ),
  );
  document.title = `${t('lottery.public_list')} · ${t('app.short')}`;
  api<{ items: LotterySummary[] }>('GET', '/api/v1/public/lotteries', undefined, null)
    .then((answer) => {
      if (disposed) return;
      if (answer.items.length === 0) {
        replace(body, h('p.empty', t('lottery.none_published')));
        return;
      }
      replace(
        body,
        h(
          'table.table.public-lotteries',
          h(
            'thead',
            h(
              'tr',
              h('th.num', '#'),
              h('th', t('lottery.title_field')),
              h('th', t('lottery.status')),
              h('th.num', t('lottery.households')),
              h('th', t('lottery.committed_at')),
              h('th', ''),
            ),
          ),
          h(
            'tbody',
            answer.items.map((x) =>
              h(
                'tr',
                { 'data-id': x.id, 'data-status': x.status },
                h('td.num', String(x.id)),
                h('td.wrap', link(`/lottery-board/${x.id}`, x.title)),
                h('td.nowrap', h(`span.badge.lottery-${x.status}`, statusLabel(x.status))),
                h('td.num', formatNumber(x.counts.households)),
                h('td.nowrap', formatTime(x.committed_at, true)),
                h('td.nowrap', link(`/lottery-record/${x.id}`, t('lottery.record_link'))),
              ),
            ),
          ),
        ),
      );
    })
    .catch((e) => {
      if (!disposed) error.textContent = t('common.error', { message: (e as Error).message });
    })
    .finally(() => {
      if (!disposed) root.dataset.ready = '1';
    });
  return () => {
    disposed = true;
  };
}

// ---- the live board

// Ids that never break at their hyphens, joined by 、 (where a line may break).
function placeSpans(items: (string | null)[]): HTMLElement {
  if (items.length === 0) return h('span', '—');
  return h(
    'span',
    items.map((x, i) => [h('span.nowrap', x ?? '—'), i < items.length - 1 ? '、' : null]),
  );
}

function count(testid: string, title: string): { el: HTMLElement; value: HTMLElement } {
  const value = h('div.lb-count-value', '—');
  return { el: h('div.lb-count', { 'data-testid': testid }, h('div.lb-count-title', title), value), value };
}

function proof(title: string, value: HTMLElement): HTMLElement {
  return h('div.lb-proof', h('div.lb-proof-title', title), value);
}

export function lotteryBoardPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const stop = new AbortController();
  let shown = 0; // results on the board (what `after` asks beyond)
  let flats = new Map<string, LotteryFlat>();
  let households = new Map<string, LotteryHousehold>();
  let ruleNames = new Map<string, string>();
  let inputsRead = false;
  let secretRead = false;

  // ---- layout
  const title = h('h1.lb-title', { 'data-testid': 'board-title' }, '');
  const status = h('div.lb-status', { 'data-testid': 'board-status' }, '');
  const clock = h('div.lb-clock.mono');
  const conn = h('p.lb-conn', { role: 'status', 'data-testid': 'board-connection', hidden: true });
  const counts = {
    households: count('board-count-households', t('lottery.households')),
    flat: count('board-count-flat', t('lottery.flats')),
    parking: count('board-count-parking', t('lottery.parking')),
    farm_room: count('board-count-farm_room', t('lottery.farm_rooms')),
  };
  const rules = h('div.lb-rules');
  const waiting = h(
    'div.lb-waiting',
    { 'data-testid': 'board-waiting' },
    h('div.lb-waiting-status', statusLabel('committed')),
    h('div.lb-rules-box', h('h2', t('lottery.rules')), rules),
    h('p.lb-hint', t('lottery.waiting_hint')),
  );
  const current = h('div.lb-current', { 'data-testid': 'board-current', hidden: true });
  const ended = h('div.lb-ended', { 'data-testid': 'board-ended', hidden: true });
  const progressFill = h('div.lb-progress-fill');
  const progressText = h('div.lb-progress-text');
  const progress = h(
    'div.lb-progress',
    { 'data-testid': 'board-progress', 'data-done': '0', 'data-total': '0', role: 'progressbar' },
    h('div.lb-progress-bar', progressFill),
    progressText,
  );
  const rows = h('tbody');
  const noneYet = h('p.lb-none', t('lottery.none_yet'));
  const results = h(
    'div.lb-results',
    h(
      'table.lb-table',
      { 'data-testid': 'board-results' },
      resultsHead(),
      rows,
    ),
    noneYet,
  );
  const commitment = h('div');
  const inputsHash = h('div');
  const entropy = h('div');
  const secret = h('div');
  const seed = h('div');
  const board = h(
    'div.lboard',
    { 'data-testid': 'board', 'data-status': 'loading' },
    h(
      'header.lb-head',
      h('span.logo.big', '治'),
      h('div.lb-heading', title, h('div.lb-sub', t('lottery.board'), ' · ', t('lottery.id'), ` #${id}`)),
      status,
      clock,
    ),
    conn,
    h('div.lb-counts', counts.households.el, counts.flat.el, counts.parking.el, counts.farm_room.el),
    h(
      'div.lb-main',
      h('section.lb-stage', waiting, current, ended, progress),
      h('aside.lb-side', h('h2', t('lottery.latest')), results),
    ),
    h(
      'footer.lb-proofs',
      proof(t('lottery.commitment'), commitment),
      proof(t('lottery.inputs_hash'), inputsHash),
      proof(t('lottery.entropy'), entropy),
      proof(t('lottery.secret'), secret),
      proof(t('lottery.seed'), seed),
    ),
  );
  replace(root, board);
  document.title = `${t('lottery.board')} · ${t('app.short')}`;

  const tick = () => {
    clock.textContent = new Intl.DateTimeFormat(lang(), {
      timeZone: 'Asia/Shanghai',
      hour12: false,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(new Date());
  };
  tick();
  const clockTimer = window.setInterval(tick, 1000);

  // ---- what the answers change

  const flatLine = (ids: (string | null)[]) =>
    ids.length === 0
      ? h('span', '—')
      : ids.map((fid) =>
          h(
            'div.lb-flat',
            { 'data-flat': fid ?? '' },
            h('span.mono', fid ?? '—'),
            fid && flats.has(fid) ? h('span.lb-flat-where', flatText(flats.get(fid))) : null,
          ),
        );

  const showCurrent = (r: LotteryResult) => {
    const tags = households.get(r.household)?.tags ?? [];
    const priority = tags.map((tag) => ruleNames.get(tag)).filter((x): x is string => !!x);
    replace(
      current,
      h('div.lb-current-label', t('lottery.current')),
      h('div.lb-order', { 'data-testid': 'board-current-order' }, t('lottery.order_n', { n: r.order })),
      h(
        'div.lb-who',
        h('span.lb-household.mono', { 'data-testid': 'board-current-household' }, r.household),
        h('span.lb-name', { 'data-testid': 'board-current-name' }, r.name || households.get(r.household)?.name || ''),
      ),
      priority.length ? h('div.lb-priority', priority.join('；')) : null,
      h(
        'dl.lb-got',
        h('dt', t('lottery.flat')),
        h('dd', { 'data-testid': 'board-current-flat' }, flatLine(r.flat)),
        h('dt', t('lottery.parking')),
        h('dd.mono', { 'data-testid': 'board-current-parking' }, places(r.parking)),
        h('dt', t('lottery.farm_rooms')),
        h('dd.mono', { 'data-testid': 'board-current-farm_room' }, places(r.farm_room)),
      ),
    );
    current.dataset.order = String(r.order);
    current.dataset.household = r.household;
    // The flash starts again for every household.
    current.classList.remove('flash');
    void current.offsetWidth;
    current.classList.add('flash');
  };

  const addResults = (list: LotteryResult[]) => {
    if (list.length === 0) return;
    const fragment = document.createDocumentFragment();
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i];
      fragment.append(
        h(
          'tr',
          { 'data-order': r.order, 'data-household': r.household },
          h('td.num', String(r.order)),
          h('td.mono', r.household),
          h('td', r.name || households.get(r.household)?.name || ''),
          h('td.mono', placeSpans(r.flat)),
          h('td.mono', placeSpans(r.parking)),
          h('td.mono', placeSpans(r.farm_room)),
        ),
      );
    }
    rows.prepend(fragment);
    rows.firstElementChild?.classList.add('newest');
    rows.children[list.length]?.classList.remove('newest');
    noneYet.hidden = true;
    shown = Math.max(shown, list[list.length - 1].order);
    showCurrent(list[list.length - 1]);
    results.scrollTop = 0;
  };

  const showEnd = (b: LotteryBoard) => {
    const recordHref = publicPath(id, 'record');
    replace(
      ended,
      h('div.lb-ended-status', t('lottery_status.drawn')),
      b.notary
        ? h('p.lb-signed', { 'data-testid': 'board-signed' }, t('lottery.signed_by', { name: b.notary.name, time: formatTime(b.notary.signed_at, true) }))
        : null,
      h(
        'div.lb-verify',
        { 'data-testid': 'board-verify' },
        h('h2', t('lottery.verify_title')),
        h('p', t('lottery.verify_hint')),
        h('pre.mono', `node tools/lottery-verify.mjs lottery-${id}.json\nzhizhi lottery verify lottery-${id}.json`),
        h(
          'p.lb-links',
          h('a', { href: recordHref, download: `lottery-${id}.json`, 'data-testid': 'board-download' }, t('lottery.download')),
          link(`/lottery-record/${id}`, t('lottery.record_link')),
        ),
      ),
    );
  };

  const readRecord = async () => {
    const record = await api<LotteryRecord>('GET', publicPath(id, 'record'), undefined, null, stop.signal);
    flats = new Map(record.inputs.pools.flat.map((f) => [f.id, f]));
    households = new Map(record.inputs.households.map((x) => [x.id, x]));
    ruleNames = new Map((record.inputs.rules ?? []).map((r) => [r.tag, r.name]));
    inputsRead = true;
    if (record.seed.secret) {
      replace(secret, hexBlocks(record.seed.secret, 'board-secret'));
      replace(seed, hexBlocks(record.seed.value, 'board-seed'));
      secretRead = true;
    }
    const last = current.dataset.household;
    if (last) {
      // The household on show, now with its flats' buildings and rooms.
      const r = record.results.find((x) => x.household === last);
      if (r) showCurrent({ ...r, name: households.get(r.household)?.name });
    }
  };

  const apply = (b: LotteryBoard) => {
    board.dataset.status = b.status;
    title.textContent = b.title;
    document.title = `${b.title} · ${t('lottery.board')}`;
    status.textContent = statusLabel(b.status);
    status.className = `lb-status lottery-${b.status}`;
    for (const key of ['households', 'flat', 'parking', 'farm_room'] as const) {
      counts[key].value.textContent = formatNumber(b.counts[key]);
      counts[key].value.dataset.value = String(b.counts[key]);
    }
    replace(rules, rulesList(b.rules, 'board-rules'));
    if (commitment.dataset.value !== (b.commitment ?? '')) {
      replace(commitment, hexBlocks(b.commitment, 'board-commitment'));
      commitment.dataset.value = b.commitment ?? '';
    }
    if (inputsHash.dataset.value !== (b.inputs_hash ?? '')) {
      replace(inputsHash, hexBlocks(b.inputs_hash, 'board-inputs-hash'));
      inputsHash.dataset.value = b.inputs_hash ?? '';
    }
    if (entropy.dataset.value !== (b.entropy ?? '')) {
      replace(
        entropy,
        b.entropy
          ? h('span.lb-entropy.mono', { 'data-testid': 'board-entropy', 'data-value': b.entropy }, b.entropy)
          : h('span.hex.pending', { 'data-testid': 'board-entropy', 'data-value': '' }, t('lottery.entropy_pending')),
      );
      entropy.dataset.value = b.entropy ?? '';
    }
    if (!secretRead) {
      replace(secret, hexBlocks(null, 'board-secret'));
      replace(seed, hexBlocks(null, 'board-seed'));
    }
    addResults(b.results);
    const { done, total } = b.progress;
    progress.dataset.done = String(done);
    progress.dataset.total = String(total);
    progress.setAttribute('aria-valuenow', String(done));
    progress.setAttribute('aria-valuemax', String(total));
    progressFill.style.width = `${total > 0 ? (100 * done) / total : 0}%`;
    progressText.textContent = t('lottery.progress', { done: formatNumber(done), total: formatNumber(total) });
    const started = b.status !== 'committed';
    waiting.hidden = started;
    progress.hidden = !started;
    current.hidden = !started || shown === 0 || isOver(b.status);
    ended.hidden = !isOver(b.status);
    if (isOver(b.status)) showEnd(b);
  };

  const loop = async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      const asked = Date.now();
      // The status on show: the server answers when it changes (or a result comes).
      const status = board.dataset.status ?? '';
      const known = ['committed', 'drawing', 'drawn', 'signed'].includes(status) ? status : '';
      let b: LotteryBoard;
      try {
        const query = `after=${shown}${known ? `&status=${known}` : ''}&wait=${WAIT}`;
        b = await api<LotteryBoard>('GET', `${publicPath(id, 'board')}?${query}`, undefined, null, stop.signal);
      } catch (e) {
        if (stop.signal.aborted) return;
        failures += 1;
        const missing = e instanceof ApiError && e.status === 404;
        conn.textContent = missing ? t('lottery.not_found') : t('lottery.reconnecting');
        conn.hidden = false;
        if (board.dataset.status === 'loading' && missing) board.dataset.status = 'missing';
        await pause(Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5)), stop.signal);
        continue;
      }
      failures = 0;
      conn.hidden = true;
      apply(b);
      root.dataset.ready = '1';
      try {
        if (!inputsRead || (isOver(b.status) && !secretRead)) await readRecord();
      } catch (e) {
        if (stop.signal.aborted) return;
        // The board goes on without the flats' details; the secret is asked for again.
      }
      if (b.results.length > 0 && shown < b.progress.total) continue; // more to catch up with
      if (b.status === 'signed' && secretRead) return; // nothing changes any more
      // The server waits for news (a result, another status); an answer at once without any
      // means it could not wait (too many boards): ask again a little later.
      if (b.results.length === 0 && b.status === known && Date.now() - asked < 200) {
        await pause(b.status === 'committed' ? BEFORE_DRAW : AFTER_DRAW, stop.signal);
      }
    }
  };
  void loop();

  return () => {
    stop.abort();
    window.clearInterval(clockTimer);
  };
}
