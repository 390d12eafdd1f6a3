// Log-in: user name and password through POST /api/v1/sessions (the security issue) or, while
// the server has no user accounts (that endpoint answers 404/405), the administrator token.

import { api, ApiError, setToken } from '../api';
import { h } from '../dom';
import { lang, setLang, t } from '../i18n';
import { navigate } from '../nav';

export function loginPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): void {
  const error = h('p.error', { 'data-testid': 'login-error', role: 'alert' });
  const name = h('input', { name: 'name', autocomplete: 'username', 'data-testid': 'login-name' }) as HTMLInputElement;
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    'data-testid': 'login-password',
  }) as HTMLInputElement;
  const tokenInput = h('textarea', {
    name: 'token',
    rows: 2,
    spellcheck: false,
    autocomplete: 'off',
    'data-testid': 'login-token',
  }) as HTMLTextAreaElement;
  const remember = h('input', { type: 'checkbox', 'data-testid': 'login-remember' }) as HTMLInputElement;
  const submit = h('button.primary', { type: 'submit', 'data-testid': 'login-submit' }, t('login.submit'));
  const tokenBox = h(
    'details.token-box',
    { open: query.get('token') === '1' },
    h('summary', t('login.use_token')),
    h('label', t('login.token'), tokenInput),
    h('p.hint', t('login.token_hint')),
  );

  const done = (value: string) => {
    setToken(value, remember.checked);
    const next = query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
  };

  const form = h(
    'form.login',
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        error.textContent = '';
        submit.setAttribute('disabled', '');
        try {
          const pasted = tokenInput.value.trim();
          if (pasted) {
            // A token is checked with a cheap authenticated call.
            await api('GET', '/api/v1/stats/overview', undefined, pasted);
            return done(pasted);
          }
          try {
            const session = await api<{ token: string; expires_at: string }>(
              'POST',
              '/api/v1/sessions',
              { name: name.value.trim(), password: password.value },
              null,
            );
            return done(session.token);
          } catch (e) {
            if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
              (tokenBox as HTMLDetailsElement).open = true;
              tokenInput.focus();
              error.textContent = t('login.no_sessions');
              return;
            }
            throw e;
          }
        } catch (e) {
          const err = e as ApiError;
          error.textContent = err.status === 401 ? t('login.bad_token') : t('login.failed', { message: err.message });
        } finally {
          submit.removeAttribute('disabled');
        }
      },
    },
    h('div.login-brand', h('span.logo.big', '治'), h('h1', t('app.title'))),
    h('h2', t('login.title')),
    h('label', t('login.name'), name),
    h('label', t('login.password'), password),
    tokenBox,
    h('label.check', remember, t('login.remember')),
    submit,
    error,
    h(
      'button.ghost.lang',
      {
        type: 'button',
        onclick: () => {
          setLang(lang() === 'en' ? 'zh-CN' : 'en');
          navigate(location.pathname + location.search, true);
        },
      },
      t('nav.lang'),
    ),
  );
  root.append(form);
  name.focus();
}
