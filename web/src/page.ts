import type { SessionUser } from './api.js';
import type { Route } from './router.js';

/** What every page is given: its route (path parameters and query) and who is signed in. */
export interface PageProps {
  route: Route;
  user: SessionUser;
}
