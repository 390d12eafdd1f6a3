// The lotteries for those who run and notarise them (docs/lottery.md, "The ceremony"): every draw
// with its status; a new draft (title, pause between results, priority rules); for the chosen
// draw, its inputs imported from four CSV files (each refused whole with its problems by line,
// or counted), what still keeps the draft from its commitment, the commitment (operators), the
// notary's entropy that starts the draw and the notary's sign-off, and links to the public board
// and the notarial record. Buttons follow the caller's rights (GET /api/v1/sessions/current);
// the server decides anyway, and its messages are shown as they come.
// Coded against GET|POST /api/v1/lotteries, GET /api/v1/lotteries/{id},
// PUT /api/v1/lotteries/{id}/inputs[/{part}], POST …/commit, …/draw, …/sign.

import { ApiError, get, post, put, type LotteryRule, type LotterySummary } from '../api';
import { card, h, link, replace } from '../dom';
import { formatNumber, formatTime, t } from '../i18n';
import { describeLotteryError, hexBlocks, problemsTable, rowProblems, rulesList, shortfalls, statusLabel } from '../lottery';
import { currentSession, hasRight } from '../session';

// The two rules of the demo (zhizhi lottery demo), offered as boxes to tick.
const PRESETS: LotteryRule[] = [
  { tag: 'disabled', name: '残疾人家庭优先，安排三层以下', tier: 2, max_floor: 3 },
  { tag: 'elderly', name: '高龄老人家庭优先，安排六层以下', tier: 1, max_floor: 6 },
];

const PARTS = ['households', 'flat', 'parking', 'farm_room'] as const;
type Part = (typeof PARTS)[number];
const COLUMNS: Record<Part, string> = {
  households: 'lottery.columns.households',
  flat: 'lottery.columns.flat',
  parking: 'lottery.columns.place',
  farm_room: 'lottery.columns.place',
};

// A CSV file as the API takes it: text when it is UTF-8, otherwise its bytes (GBK spreadsheets).
async function fileBody(file: File): Promise<{ content: string } | { content_base64: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { content_base64: btoa(binary) };
  }
}

function facts(l: LotterySummary): HTMLElement {
  const row = (title: string, testid: string, value: HTMLElement | string) => [h('dt', title), h('dd', { 'data-testid': testid }, value)];
  return h(
    'dl.facts.lottery-facts',
    row(t('lottery.status'), 'lottery-status', h(`span.badge.lottery-${l.status}`, statusLabel(l.status))),
    row(
      `${t('lottery.households')} / ${t('lottery.flats')} / ${t('lottery.parking')} / ${t('lottery.farm_rooms')}`,
      'lottery-counts',
      [l.counts.households, l.counts.flat, l.counts.parking, l.counts.farm_room].map((n) => formatNumber(n)).join(' / '),
    ),
    row(t('lottery.interval'), 'lottery-interval', l.interval_ms === undefined ? '—' : formatNumber(l.interval_ms)),
    row(t('lottery.rules'), 'lottery-rules', rulesList(l.rules, 'lottery-rule-list')),
    l.commitment ? row(t('lottery.commitment'), 'lottery-commitment', hexBlocks(l.commitment, 'lottery-commitment-value')) : null,
    l.inputs_hash ? row(t('lottery.inputs_hash'), 'lottery-inputs-hash', hexBlocks(l.inputs_hash, 'lottery-inputs-hash-value')) : null,
    l.entropy ? row(t('lottery.entropy'), 'lottery-entropy-value', h('span.mono', l.entropy)) : null,
    l.status === 'draft'
      ? null
      : row(
          t('lottery.results'),
          'lottery-progress',
          t('lottery.progress', { done: formatNumber(l.progress.done), total: formatNumber(l.progress.total) }),
        ),
    row(t('lottery.created_at'), 'lottery-created-at', formatTime(l.created_at, true)),
    l.committed_at ? row(t('lottery.committed_at'), 'lottery-committed-at', formatTime(l.committed_at, true)) : null,
    l.started_at ? row(t('lottery.started_at'), 'lottery-started-at', formatTime(l.started_at, true)) : null,
    l.drawn_at ? row(t('lottery.drawn_at'), 'lottery-drawn-at', formatTime(l.drawn_at, true)) : null,
    l.notary
      ? row(
          t('lottery.notary'),
          'lottery-notary',
          `${t('lottery.signed_short', { name: l.notary.name, time: formatTime(l.notary.signed_at, true) })}${l.notary.statement ? `：${l.notary.statement}` : ''}`,
        )
      : null,
  );
}

export function lotteriesPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  let canOperate = true; // until the session says otherwise: the server decides anyway
  let canNotarise = true;
  let selected: number | null = Number(query.get('id')) || null;
  let pollTimer: number | undefined;
  let detailSeq = 0;

  const error = h('p.error', { role: 'alert', 'data-testid': 'lotteries-error' });

  // ---- the list
  const count = h('span.count', { 'data-testid': 'lotteries-count' });
  const [listCard, listBody] = card(t('lottery.list'), 'lotteries-list', count);
  const listTable = h('div.scroll.tall');
  listBody.append(listTable);

  // ---- a new draft
  const newTitle = h('input', { type: 'text', name: 'title', maxLength: 200, required: true, size: 30, 'data-testid': 'lottery-new-title' }) as HTMLInputElement;
  const newInterval = h('input', {
    type: 'number',
    name: 'interval_ms',
    min: 0,
    max: 60000,
    step: 100,
    value: '1000',
    'data-testid': 'lottery-new-interval',
  }) as HTMLInputElement;
  const presetBoxes = PRESETS.map(
    (r) => h('input', { type: 'checkbox', 'data-preset': r.tag, 'data-testid': `lottery-new-preset-${r.tag}` }) as HTMLInputElement,
  );
  const customRules = h('textarea', {
    rows: 4,
    spellcheck: false,
    placeholder: '[{"tag":"disabled","name":"残疾人家庭优先","tier":2,"max_floor":3}]',
    'data-testid': 'lottery-new-rules',
  }) as HTMLTextAreaElement;
  const newError = h('p.error', { role: 'alert', 'data-testid': 'lottery-new-error' });
  const newSubmit = h('button.primary', { type: 'submit', 'data-testid': 'lottery-new-submit' }, t('lottery.create'));
  const [newCard, newBody] = card(t('lottery.new'), 'lottery-new');
  newBody.append(
    h(
      'form.lottery-new',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void create();
        },
      },
      h('label', t('lottery.title_field'), newTitle),
      h('label', t('lottery.interval'), newInterval, h('span.muted.small', t('lottery.interval_hint'))),
      h(
        'fieldset.lottery-presets',
        h('legend', t('lottery.rules')),
        PRESETS.map((r, i) => h('label.check', presetBoxes[i], `${r.name}（${t('lottery.rule_tier', { tier: r.tier })}）`)),
        h('details', h('summary', t('lottery.custom_rules')), customRules),
      ),
      newSubmit,
      newError,
    ),
  );
  newCard.hidden = true;

  // ---- the chosen draw
  const [detailCard, detailBody] = card(t('lottery.admin_title'), 'lottery-detail');
  replace(detailBody, h('p.empty', t('lottery.choose')));

  replace(
    root,
    h(
      'div.lotteries-page',
      h(
        'div.page-head',
        h('h1.page-title', t('lottery.admin_title')),
        h('a.head-link', { href: '/lottery-board', 'data-route': '1', 'data-testid': 'lotteries-public' }, `${t('lottery.to_public')} →`),
      ),
      error,
      h('div.grid-lottery', h('div.stack', listCard, newCard), detailCard),
    ),
  );
  document.title = `${t('lottery.admin_title')} · ${t('app.short')}`;

  const loadList = async () => {
    try {
      const answer = await get<{ items: LotterySummary[]; counts?: { total: number } }>('/api/v1/lotteries');
      if (disposed) return;
      error.textContent = '';
      // The number of draws, not of the rows listed (the newest 200).
      const total = answer.counts?.total ?? answer.items.length;
      count.textContent = formatNumber(total);
      count.dataset.value = String(total);
      if (answer.items.length === 0) {
        replace(listTable, h('p.empty', t('lottery.none')));
        return;
      }
      replace(
        listTable,
        h(
          'table.table.lottery-list',
          h('thead', h('tr', h('th.num', '#'), h('th', t('lottery.title_field')), h('th', t('lottery.status')), h('th.num', t('lottery.households')))),
          h(
            'tbody',
            answer.items.map((x) => {
              const row = h(
                'tr',
                { 'data-id': x.id, 'data-status': x.status, class: x.id === selected ? 'selected' : '' },
                h('td.num', String(x.id)),
                h('td.wrap', link(`/lotteries?id=${x.id}`, x.title)),
                h('td.nowrap', h(`span.badge.lottery-${x.status}`, statusLabel(x.status))),
                h('td.num', formatNumber(x.counts.households)),
              );
              row.querySelector('a')!.addEventListener('click', (e) => {
                e.preventDefault();
                e.stopPropagation();
                select(x.id, true);
              });
              return row;
            }),
          ),
        ),
      );
    } catch (e) {
      if (disposed) return;
      error.textContent = e instanceof ApiError && e.status === 403 ? t('lottery.forbidden') : describeLotteryError(e);
    }
  };

  const markSelected = () => {
    for (const tr of listTable.querySelectorAll<HTMLElement>('tr[data-id]')) tr.classList.toggle('selected', Number(tr.dataset.id) === selected);
  };

  const create = async () => {
    newError.textContent = '';
    let rules: unknown = PRESETS.filter((_, i) => presetBoxes[i].checked);
    if (customRules.value.trim()) {
      try {
        rules = JSON.parse(customRules.value);
        if (!Array.isArray(rules)) throw new Error('[…]');
      } catch (e) {
        newError.textContent = t('lottery.bad_rules', { message: (e as Error).message });
        return;
      }
    }
    const body: Record<string, unknown> = { title: newTitle.value.trim(), rules };
    if (newInterval.value !== '') body.interval_ms = Number(newInterval.value);
    newSubmit.setAttribute('disabled', '');
    try {
      const created = await post<LotterySummary>('/api/v1/lotteries', body);
      if (disposed) return;
      newTitle.value = '';
      select(created.id, true, t('lottery.created', { id: created.id }));
      void loadList();
    } catch (e) {
      if (!disposed) newError.textContent = describeLotteryError(e);
    } finally {
      newSubmit.removeAttribute('disabled');
    }
  };

  // Shows draw `id` in the detail card (and in the URL, with `push`).
  function select(id: number, push = false, message = ''): void {
    selected = id;
    if (push) history.pushState(null, '', `/lotteries?id=${id}`);
    markSelected();
    void showDetail(id, message);
  }

  async function showDetail(id: number, firstMessage: string): Promise<void> {
    const mine = ++detailSeq;
    window.clearTimeout(pollTimer);
    detailCard.dataset.state = 'loading';
    let lottery: LotterySummary;
    try {
      lottery = await get<LotterySummary>(`/api/v1/lotteries/${id}`);
    } catch (e) {
      if (disposed || mine !== detailSeq) return;
      detailCard.dataset.state = 'failed';
      replace(detailBody, h('p.error', { role: 'alert' }, describeLotteryError(e)));
      return;
    }
    if (disposed || mine !== detailSeq) return;

    // What stays while the draw changes: the messages and the uploads with their problems.
    const message = h('p.ok', { role: 'status', 'data-testid': 'lottery-message' }, firstMessage);
    const actionError = h('p.error', { role: 'alert', 'data-testid': 'lottery-error' });
    const head = h('div.lottery-head');
    const factsBox = h('div');
    const draftProblems = h('div.lottery-draft-problems');
    const actions = h('div.lottery-actions');
    const uploads = h('div.lottery-uploads', { 'data-testid': 'lottery-uploads' });
    const inputsSection = h(
      'section.lottery-inputs',
      h('h3', t('lottery.inputs')),
      h('p.muted.small', t('lottery.inputs_hint')),
      uploads,
      draftProblems,
    );

    const say = (text: string) => {
      message.textContent = text;
      actionError.textContent = '';
    };
    const fail = (e: unknown) => {
      message.textContent = '';
      actionError.textContent = describeLotteryError(e);
    };

    const uploadRow = (part: Part | 'all') => {
      const testid = part === 'all' ? 'inputs' : part;
      const input = h('input', {
        type: 'file',
        accept: part === 'all' ? '.json,application/json' : '.csv,text/csv,text/plain',
        'data-testid': `lottery-file-${testid}`,
      }) as HTMLInputElement;
      const state = h('span.lottery-upload-state', { 'data-testid': `lottery-upload-${testid}` });
      const problems = h('div.lottery-row-problems', { 'data-testid': `lottery-problems-${testid}` });
      input.addEventListener('change', async () => {
        const file = input.files?.[0];
        if (!file) return;
        state.dataset.state = 'uploading';
        state.className = 'lottery-upload-state';
        state.textContent = t('lottery.uploading');
        replace(problems);
        try {
          let updated: LotterySummary;
          if (part === 'all') {
            const inputs = JSON.parse(await file.text());
            updated = await put<LotterySummary>(`/api/v1/lotteries/${id}/inputs`, { inputs });
          } else {
            updated = await put<LotterySummary>(`/api/v1/lotteries/${id}/inputs/${part}`, await fileBody(file));
          }
          if (disposed || mine !== detailSeq) return;
          state.dataset.state = 'ok';
          state.classList.add('ok');
          state.textContent = `${file.name}：${t('lottery.uploaded', {
            n: formatNumber(part === 'all' ? updated.counts.households : updated.counts[part]),
          })}`;
          render(updated);
          void loadList();
        } catch (e) {
          if (disposed || mine !== detailSeq) return;
          state.dataset.state = 'failed';
          state.classList.add('failed');
          state.textContent = `${file.name}：${t('lottery.upload_failed', {
            message: e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message,
          })}`;
          const list = rowProblems(e);
          if (list.length) problems.append(problemsTable(list, `lottery-problem-table-${testid}`));
        } finally {
          input.value = ''; // the same file again is a change again
        }
      });
      return h(
        'div.lottery-upload',
        { 'data-part': part },
        h('div.lottery-upload-head', h('strong', part === 'all' ? t('lottery.whole_inputs') : t(`lottery.part.${part}`)), part === 'all' ? null : h('span.muted.small', t(COLUMNS[part]))),
        h('div.lottery-upload-file', input, state),
        problems,
      );
    };
    uploads.append(...PARTS.map((p) => uploadRow(p)), uploadRow('all'));

    const button = (testid: string, text: string, run: () => Promise<void>, cls = 'button.primary') => {
      const b = h(cls, { type: 'button', 'data-testid': testid }, text);
      b.addEventListener('click', async () => {
        b.setAttribute('disabled', '');
        try {
          await run();
        } finally {
          b.removeAttribute('disabled');
        }
      });
      return b;
    };

    const act = async (path: string, body: unknown, done: string) => {
      try {
        const updated = await post<LotterySummary>(`/api/v1/lotteries/${id}/${path}`, body);
        if (disposed || mine !== detailSeq) return;
        say(done);
        render(updated);
        void loadList();
      } catch (e) {
        if (disposed || mine !== detailSeq) return;
        fail(e);
        const missing = shortfalls(e);
        if (missing.length)
          actionError.append(h('ul.lottery-shortfalls', { 'data-testid': 'lottery-shortfalls' }, missing.map((s) => h('li', s))));
      }
    };

    function render(l: LotterySummary): void {
      detailCard.dataset.id = String(l.id);
      detailCard.dataset.status = l.status;
      const published = l.status !== 'draft';
      replace(
        head,
        h('h2.lottery-title', { 'data-testid': 'lottery-title' }, `#${l.id} ${l.title}`),
        h(
          'div.lottery-links',
          published ? h('a', { href: `/lottery-board/${l.id}`, 'data-route': '1', 'data-testid': 'lottery-board-link' }, t('lottery.board_link')) : null,
          published ? h('a', { href: `/lottery-record/${l.id}`, 'data-route': '1', 'data-testid': 'lottery-record-link' }, t('lottery.record_link')) : null,
        ),
      );
      replace(factsBox, facts(l));
      inputsSection.hidden = l.status !== 'draft';
      const problems = l.problems ?? [];
      replace(
        draftProblems,
        l.status !== 'draft'
          ? null
          : problems.length
            ? h(
                'div.lottery-not-ready',
                h('h4', t('lottery.draft_problems')),
                h('ul', { 'data-testid': 'lottery-draft-problems' }, problems.map((p) => h('li.wrap', p))),
              )
            : h('p.ok', { 'data-testid': 'lottery-ready' }, t('lottery.ready')),
      );
      replace(actions);
      if (l.status === 'draft' && canOperate) {
        actions.append(
          h(
            'div.lottery-action',
            button('lottery-commit', t('lottery.commit'), () => act('commit', {}, t('lottery.committed'))),
            h('span.muted.small', t('lottery.commit_hint')),
          ),
        );
      }
      if (l.status === 'committed') {
        if (canNotarise) {
          const entropy = h('input', { type: 'text', maxLength: 1000, size: 32, 'data-testid': 'lottery-entropy', placeholder: '07 23 41 15 09 33' }) as HTMLInputElement;
          actions.append(
            h(
              'form.lottery-action',
              {
                onsubmit: (e: Event) => e.preventDefault(),
              },
              h('label', t('lottery.entropy_input'), entropy),
              button('lottery-start', t('lottery.start'), () => act('draw', { entropy: entropy.value }, t('lottery.started'))),
            ),
          );
        } else {
          actions.append(h('p.muted', t('lottery.notary_only')));
        }
      }
      if (l.status === 'drawn' && canNotarise) {
        const statement = h('textarea', { rows: 3, maxLength: 2000, placeholder: t('lottery.statement_placeholder'), 'data-testid': 'lottery-statement' }) as HTMLTextAreaElement;
        actions.append(
          h(
            'div.lottery-action.lottery-sign',
            h('label', t('lottery.statement'), statement),
            button('lottery-sign', t('lottery.sign'), () => act('sign', { statement: statement.value.trim() }, t('lottery.signed'))),
          ),
        );
      }
      detailCard.dataset.state = 'done';
      // Follow a draw under way.
      window.clearTimeout(pollTimer);
      if (l.status === 'drawing') {
        pollTimer = window.setTimeout(async () => {
          try {
            const now = await get<LotterySummary>(`/api/v1/lotteries/${id}`);
            if (!disposed && mine === detailSeq) {
              render(now);
              if (now.status !== 'drawing') void loadList();
            }
          } catch (e) {
            if (!disposed && mine === detailSeq) fail(e);
          }
        }, 1500);
      }
    }

    replace(detailBody, head, message, actionError, factsBox, inputsSection, actions);
    render(lottery);
  }

  void Promise.all([
    currentSession().then((session) => {
      if (disposed) return;
      if (session) {
        canOperate = hasRight(session, 'lottery.operate');
        canNotarise = hasRight(session, 'lottery.notarise');
      }
      newCard.hidden = !canOperate;
    }),
    loadList(),
  ])
    .then(() => (selected && !disposed ? showDetail(selected, '') : undefined))
    .finally(() => {
      if (!disposed) root.dataset.ready = '1';
    });

  return () => {
    disposed = true;
    window.clearTimeout(pollTimer);
  };
}
