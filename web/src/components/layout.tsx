/** The frame of every signed-in page: a skip link, the navigation, who is signed in, the page. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type SessionUser } from '../api.js';
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
  // A sign-out that failed (network, CSRF) is said so and leaves the page as it is: going to the
  // sign-in page anyway would let the user believe sessions ended that still live.
  const [signOutFailure, setSignOutFailure] = useState<string | null>(null);
  const signOut = async (everywhere: boolean) => {
    setSignOutFailure(null);
    try {
      await api.signOut(everywhere);
    } catch (error) {
      // Signing out of a session that already ended has nothing left to do here; everywhere still needs one.
      const alreadyOut = error instanceof ApiError && error.status === 401 && !everywhere;
      if (!alreadyOut) {
        const why = (error instanceof Error ? error.message : String(error)).replace(/\.?\s*$/, '.');
        setSignOutFailure(`${everywhere ? 'Could not sign out everywhere' : 'Could not sign out'}: ${why} Your session${everywhere ? 's are' : ' is'} still open; try again.`);
        return;
      }
    }
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
          {signOutFailure && (
            <p class="sign-out-failed" role="alert">
              {signOutFailure}
            </p>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
