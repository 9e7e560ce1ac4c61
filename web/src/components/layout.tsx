/** The frame of every signed-in page: a skip link, the navigation, who is signed in, the page. */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { api, type SessionUser } from '../api.js';
import { Link } from '../router.js';

const SECTIONS = [
  { href: '/', label: 'Campaigns', active: (path: string) => path === '/' || path.startsWith('/campaigns') },
  { href: '/contacts', label: 'Contacts', active: (path: string) => path.startsWith('/contacts') },
  { href: '/suppressions', label: 'Suppressions', active: (path: string) => path.startsWith('/suppressions') },
  { href: '/review', label: 'Review', active: (path: string) => path.startsWith('/review') },
  { href: '/settings', label: 'Settings', active: (path: string) => path.startsWith('/settings') },
];

export function Layout({ user, title, children }: { user: SessionUser; title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · mailsight`;
  }, [title]);
  const signOut = async (everywhere: boolean) => {
    await api.signOut(everywhere).catch(() => undefined);
    location.assign('/sign-in');
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          mailsight
        </Link>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <Link href={s.href} aria-current={s.active(location.pathname) ? 'page' : undefined}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {user.name || user.email} <span class="role">({user.role})</span>
          </span>
          <button type="button" class="link" onClick={() => void signOut(false)}>
            Sign out
          </button>
          <button type="button" class="link" onClick={() => void signOut(true)}>
            Sign out everywhere
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
