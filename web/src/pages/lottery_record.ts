// The notarial record of a draw (公证记录), public and made for print (A4, page numbers, the
// table's header on every page, no row cut in two, no navigation or buttons): the title, the
// algorithm, the commitment, the inputs hash, the notary's entropy, the secret and the seed, the
// times, the notary's sign-off and every result (order, household, head of household, flats,
// parking, farm-tool rooms). Read from GET /api/v1/public/lotteries/{id}/record, the same
// document `zhizhi lottery verify` and tools/lottery-verify.mjs check; the heads of household
// are the published (masked) names of its inputs.

import { api, ApiError, type LotteryRecord } from '../api';
import { h, link, replace } from '../dom';
import { formatFullTime, formatNumber, t } from '../i18n';
import { hexBlocks, places, publicPath, resultsHead, rulesList, statusLabel } from '../lottery';

const fullTime = formatFullTime;

function fact(title: string, testid: string, ...value: (HTMLElement | string)[]): HTMLElement[] {
  return [h('dt', title), h('dd', { 'data-testid': testid }, ...value)];
}

function sheet(record: LotteryRecord, id: string): HTMLElement {
  const names = new Map(record.inputs.households.map((x) => [x.id, x.name ?? '']));
  const pools = record.inputs.pools;
  const notary = record.notary;
  return h(
    'article.record-sheet',
    { 'data-testid': 'record', 'data-status': record.status },
    h(
      'header.record-head',
      h('h1', t('lottery.record_title')),
      h('h2', { 'data-testid': 'record-title' }, record.title),
      h('p.record-meta', `${t('lottery.id')} #${id} · ${t('lottery.status')}：${statusLabel(record.status)}`),
    ),
    h(
      'section.record-section',
      h(
        'dl.record-facts',
        fact(
          t('lottery.algorithm'),
          'record-algorithm',
          t('lottery.algorithm_version', { name: record.algorithm.name, version: record.algorithm.version }),
        ),
        fact(
          `${t('lottery.households')} / ${t('lottery.flats')} / ${t('lottery.parking')} / ${t('lottery.farm_rooms')}`,
          'record-counts',
          [record.inputs.households.length, pools.flat.length, pools.parking?.length ?? 0, pools.farm_room?.length ?? 0].map((n) => formatNumber(n)).join(' / '),
        ),
        fact(t('lottery.rules'), 'record-rules', rulesList(record.inputs.rules, 'record-rule-list')),
        fact(t('lottery.commitment'), 'record-commitment', hexBlocks(record.commitment, 'record-commitment-value')),
        fact(t('lottery.inputs_hash'), 'record-inputs-hash', hexBlocks(record.inputs_hash, 'record-inputs-hash-value')),
        fact(
          t('lottery.entropy'),
          'record-entropy',
          record.seed.entropy ? h('span.mono', { 'data-value': record.seed.entropy }, record.seed.entropy) : t('lottery.entropy_pending'),
        ),
        fact(t('lottery.secret'), 'record-secret', hexBlocks(record.seed.secret, 'record-secret-value')),
        fact(t('lottery.seed'), 'record-seed', hexBlocks(record.seed.value, 'record-seed-value')),
        fact(t('lottery.committed_at'), 'record-committed-at', fullTime(record.committed_at)),
        fact(t('lottery.started_at'), 'record-started-at', fullTime(record.started_at)),
        fact(t('lottery.drawn_at'), 'record-drawn-at', fullTime(record.drawn_at)),
      ),
    ),
    h(
      'section.record-section.record-notary',
      { 'data-testid': 'record-notary' },
      h('h3', t('lottery.notary')),
      notary
        ? h(
            'dl.record-facts',
            fact(t('lottery.notary'), 'record-notary-name', notary.name),
            fact(t('lottery.signed_at'), 'record-signed-at', fullTime(notary.signed_at)),
            fact(t('lottery.statement'), 'record-statement', notary.statement || '—'),
            fact(t('lottery.record_hash'), 'record-hash', hexBlocks(notary.record_hash, 'record-hash-value')),
          )
        : h('p.muted', { 'data-testid': 'record-unsigned' }, t('lottery.not_signed')),
    ),
    h(
      'section.record-section.record-verify',
      h('h3', t('lottery.verify_title')),
      h('p', t('lottery.verify_hint')),
      h('pre.mono', `node tools/lottery-verify.mjs lottery-${id}.json\nzhizhi lottery verify lottery-${id}.json`),
      h('p.small', `GET ${publicPath(id, 'record')}`),
    ),
    h(
      'section.record-section',
      h('h3', t('lottery.results'), ' ', h('span.muted', { 'data-testid': 'record-count', 'data-value': record.results.length }, t('lottery.results_count', { n: formatNumber(record.results.length) }))),
      h(
        'table.record-table',
        { 'data-testid': 'record-results' },
        resultsHead(),
        h(
          'tbody',
          record.results.map((r) =>
            h(
              'tr',
              { 'data-order': r.order, 'data-household': r.household },
              h('td.num', String(r.order)),
              h('td.mono', r.household),
              h('td', names.get(r.household) ?? ''),
              h('td.mono', places(r.flat)),
              h('td.mono', places(r.parking)),
              h('td.mono', places(r.farm_room)),
            ),
          ),
        ),
      ),
    ),
    h(
      'footer.record-sign',
      h('span', `${t('lottery.sign_line')}：`, h('span.sign-blank')),
      h('span', `${t('lottery.date_line')}：`, h('span.sign-blank')),
    ),
  );
}

export function lotteryRecordPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const stop = new AbortController();
  const error = h('p.error', { role: 'alert', 'data-testid': 'record-error' });
  const body = h('div.record-body', h('p.muted', t('common.loading')));
  const printButton = h('button.primary', { type: 'button', 'data-testid': 'record-print', onclick: () => window.print() }, t('common.print'));
  const toolbar = h(
    'nav.record-toolbar.no-print',
    { 'data-testid': 'record-toolbar' },
    h('span.logo', '治'),
    link(`/lottery-board/${id}`, `← ${t('lottery.board_link')}`),
    link('/lottery-board', t('lottery.public_list')),
    h('a', { href: publicPath(id, 'record'), download: `lottery-${id}.json`, 'data-testid': 'record-download' }, t('lottery.download')),
    printButton,
  );
  replace(root, h('div.record-page', toolbar, error, body));
  document.title = `${t('lottery.record_title')} · ${t('app.short')}`;
  api<LotteryRecord>('GET', publicPath(id, 'record'), undefined, null, stop.signal)
    .then((record) => {
      if (stop.signal.aborted) return;
      replace(body, sheet(record, id));
      document.title = `${record.title} · ${t('lottery.record_title')}`;
    })
    .catch((e) => {
      if (stop.signal.aborted) return;
      replace(body);
      error.textContent =
        e instanceof ApiError && e.status === 404 ? t('lottery.not_found') : t('common.error', { message: (e as Error).message });
    })
    .finally(() => {
      if (!stop.signal.aborted) root.dataset.ready = '1';
    });
  return () => stop.abort();
}
