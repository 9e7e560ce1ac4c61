/**
 * The dashboard's entry: asks who is signed in (the server only serves pages to a session, but it
 * may end meanwhile), then shows the page the address names.
 */
import { render, type FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken, type SessionUser } from './api.js';
import { match, useLocation } from './router.js';
import type { PageProps } from './page.js';
import { Layout } from './components/layout.js';
import { Failed, Loading } from './components/states.js';
import { SignInPage } from './pages/sign-in.js';
import { CampaignsPage } from './pages/campaigns.js';
import { CampaignPage } from './pages/campaign.js';
import { HotClicksPage } from './pages/hot-clicks.js';
import { ContactsPage } from './pages/contacts.js';
import { ContactPage } from './pages/contact.js';
import { SuppressionsPage } from './pages/suppressions.js';
import { ReviewPage } from './pages/review.js';
import { SettingsPage } from './pages/settings.js';
import { NotFoundPage } from './pages/not-found.js';
import './styles.css';

interface PageEntry {
  pattern: string;
  title: string;
  page: FunctionComponent<PageProps>;
}

const PAGES: PageEntry[] = [
  { pattern: '/', title: 'Campaigns', page: CampaignsPage },
  { pattern: '/campaigns/:id', title: 'Campaign', page: CampaignPage },
  { pattern: '/campaigns/:id/hot-clicks', title: 'Hot clicks', page: HotClicksPage },
  { pattern: '/contacts', title: 'Contacts', page: ContactsPage },
  { pattern: '/contacts/:id', title: 'Contact', page: ContactPage },
  { pattern: '/suppressions', title: 'Suppressions', page: SuppressionsPage },
  { pattern: '/review', title: 'Review', page: ReviewPage },
  { pattern: '/settings', title: 'Settings', page: SettingsPage },
];

function App() {
  const { pathname, search } = useLocation();
  const [user, setUser] = useState<SessionUser | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const signingIn = pathname === '/sign-in';

  useEffect(() => {
    if (signingIn || user) return;
    api.session().then(
      (session) => {
        setCsrfToken(session.csrfToken);
        if (session.user) setUser(session.user);
      },
      (error: Error) => setFailure(error),
    );
  }, [signingIn, user]);

  if (signingIn) return <SignInPage />;
  if (failure) return <Failed error={failure} retry={() => location.reload()} />;
  if (!user) return <Loading what="your session" />;
  for (const entry of PAGES) {
    const params = match(entry.pattern, pathname);
    if (!params) continue;
    const Page = entry.page;
    return (
      <Layout user={user} title={entry.title}>
        <Page route={{ path: pathname, params, query: new URLSearchParams(search) }} user={user} />
      </Layout>
    );
  }
  return (
    <Layout user={user} title="Not found">
      <NotFoundPage />
    </Layout>
  );
}

render(<App />, document.getElementById('app')!);
