// The files of base data (一人一档, 一房一档, 一企一档): a person, a house or a unit as linked from
// every source — each golden field with the source it was taken from and how many of the records
// agree with it, the records themselves side by side, and the links (a person's houses and
// units, a house's occupants and units, a unit's people and houses). Coded against
// GET /api/v1/people|houses|units/{id}.

import { ApiError, enc, get, type BaseEntity, type BaseKind, type BaseSummary, type SourceRecord } from '../api';
import { describeError, fieldLabel, fillVillages, kinds, nameVillages, Secrets, sourceLabel, summaryTable } from '../basedata';
import { card, h, replace } from '../dom';
import { formatNumber, formatTime, label, t } from '../i18n';

// The links each kind's file shows: [the answer's key, the kind of its items, the card's title].
const linksOf: Record<BaseKind, [keyof BaseEntity, BaseKind, string][]> = {
  person: [
    ['houses', 'house', 'entity.houses_of_person'],
    ['units', 'unit', 'entity.units_of_person'],
  ],
  house: [
    ['occupants', 'person', 'entity.occupants'],
    ['units', 'unit', 'entity.units_at_house'],
  ],
  unit: [
    ['people', 'person', 'entity.people_of_unit'],
    ['houses', 'house', 'entity.houses_of_unit'],
  ],
};

function agreement(g: { agree: number; of: number }): HTMLElement {
  const all = g.agree === g.of;
  return h(
    `span.badge.agree${all ? '.agree-all' : '.agree-part'}`,
    { 'data-agree': g.agree, 'data-of': g.of, title: t('entity.agree_title', { agree: g.agree, of: g.of }) },
    `${g.agree}/${g.of}`,
  );
}

function goldenFacts(e: BaseEntity, secrets: Secrets): HTMLElement {
  return h(
    'dl.facts.golden',
    kinds[e.kind].fields.map((field) => {
      const g = e.fields[field];
      return [
        h('dt', fieldLabel(field, e.kind)),
        h(
          'dd',
          { 'data-field': field },
          g ? h('span.golden-value', secrets.value(field, g.value)) : h('span.golden-value.muted', '—'),
          g
            ? h(
                'div.provenance.small',
                h('span.muted', t('entity.from')),
                ' ',
                h('span.source', { 'data-source': g.source }, sourceLabel(g.source)),
                h('span.mono.muted', ` · ${g.source_id} `),
                agreement(g),
              )
            : null,
        ),
      ];
    }),
    h('dt', label('level', 'village')),
    h('dd', e.village ? h('span', { 'data-village': e.village }, h('span.village-name', e.village)) : '—'),
    h('dt', t('entity.standard_address')),
    h('dd', { 'data-field': 'standard_address_id' }, e.standard_address_id != null ? h('span.badge.in-base', `#${e.standard_address_id}`) : h('span.muted', t('entity.no_standard_address'))),
    h('dt', t('entity.updated')),
    h('dd', formatTime(e.updated_at ?? null, true)),
  );
}

// The records from every source, one a row; a cell is marked where the golden value came from.
function recordsTable(e: BaseEntity, secrets: Secrets): HTMLElement {
  const fields = [...kinds[e.kind].fields];
  for (const r of e.records) for (const f of Object.keys(r.fields)) if (!fields.includes(f)) fields.push(f);
  const isGolden = (r: SourceRecord, f: string) => {
    const g = e.fields[f];
    return !!g && g.source === r.source && g.source_id === r.source_id;
  };
  return h(
    'div.scroll',
    h(
      'table.table.bd-records',
      { 'data-testid': 'entity-records-table' },
      h(
        'thead',
        h('tr', h('th', t('basedata.source')), h('th', t('entity.source_id')), fields.map((f) => h('th', fieldLabel(f, e.kind))), h('th', t('entity.updated'))),
      ),
      h(
        'tbody',
        e.records.map((r) =>
          h(
            'tr',
            { 'data-record': r.record_id, 'data-source': r.source },
            h('td.nowrap', sourceLabel(r.source)),
            h('td.mono.small.nowrap', { title: `record ${r.record_id}` }, r.source_id),
            fields.map((f) =>
              h(
                f === 'address' ? 'td.wrap' : 'td.nowrap',
                { 'data-field': f, class: isGolden(r, f) ? 'golden' : '', title: isGolden(r, f) ? t('entity.golden_here') : '' },
                secrets.value(f, r.fields[f]),
              ),
            ),
            h('td.nowrap.muted', formatTime(r.updated_at, true)),
          ),
        ),
      ),
    ),
  );
}

function entityPage(kind: BaseKind) {
  return (root: HTMLElement, params: Record<string, string>): (() => void) => {
    const id = params.id;
    let disposed = false;
    const secrets = new Secrets();
    const title = h('h1.page-title.ellipsis', { 'data-testid': 'entity-title' }, `#${id}`);
    const error = h('p.error', { role: 'alert' });
    const reveal = h('span');
    const [goldenCard, goldenBody] = card(t(`entity.golden_${kind}`), 'entity-golden', reveal);
    const recordCount = h('span.count', { 'data-testid': 'entity-record-count' });
    const [recordsCard, recordsBody] = card(t('entity.records'), 'entity-records', recordCount);
    const links = linksOf[kind].map(([key, of, titleKey]) => {
      const count = h('span.count');
      const [el, body] = card(t(titleKey), `entity-${String(key)}`, count);
      return { key, of, el, body, count };
    });
    replace(
      root,
      h(
        'div.entity',
        { 'data-kind': kind },
        h(
          'div.page-head',
          h('a.back', { href: '/basedata', 'data-route': '1', onclick: (e: Event) => { if (history.length > 1) { e.preventDefault(); e.stopPropagation(); history.back(); } } }, `← ${t('common.back')}`),
          title,
          h(`span.badge.kind-${kind}`, label('bd_kind', kind)),
          h('span.muted.mono', `#${id}`),
        ),
        error,
        h('div.grid-2', goldenCard, h('div.stack', links.map((l) => l.el))),
        recordsCard,
      ),
    );

    const load = async () => {
      let e: BaseEntity;
      try {
        e = await get<BaseEntity>(`/api/v1/${kinds[kind].path}/${enc(id)}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          replace(goldenBody, h('p.empty', { 'data-testid': 'entity-not-found' }, t('entity.not_found', { kind: label('bd_kind', kind), id })));
          recordsCard.hidden = true;
          for (const l of links) l.el.hidden = true;
          return;
        }
        throw err;
      }
      if (disposed) return;
      const values = Object.fromEntries(Object.entries(e.fields).map(([f, g]) => [f, g.value]));
      const name = kinds[kind].title(values) || `#${id}`;
      title.textContent = name;
      title.title = name;
      document.title = `${name} · ${t('app.short')}`;
      replace(goldenBody, goldenFacts(e, secrets));
      recordCount.textContent = t('entity.record_count', { n: formatNumber(e.records.length) });
      recordCount.dataset.value = String(e.records.length);
      replace(recordsBody, recordsTable(e, secrets));
      const villages: (string | null)[] = [e.village];
      for (const l of links) {
        const items = (e[l.key] as BaseSummary[] | undefined) ?? [];
        // The total, not the length of the list (which stops at the server's limit).
        const total = e.link_counts?.[String(l.key)] ?? items.length;
        l.count.textContent = formatNumber(total);
        l.count.dataset.value = String(total);
        l.count.dataset.shown = String(items.length);
        replace(l.body, summaryTable(l.of, items, secrets, `entity-${String(l.key)}-table`));
        villages.push(...items.map((x) => x.village));
      }
      replace(reveal, secrets.toggle());
      await nameVillages(villages);
      if (!disposed) fillVillages(root);
    };

    void load()
      .catch((e) => {
        if (!disposed) error.textContent = describeError(e);
      })
      .finally(() => {
        if (!disposed) root.dataset.ready = '1';
      });
    return () => {
      disposed = true;
    };
  };
}

export const personFilePage = entityPage('person');
export const houseFilePage = entityPage('house');
export const unitFilePage = entityPage('unit');
