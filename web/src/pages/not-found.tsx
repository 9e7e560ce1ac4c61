import { Link } from '../router.js';

export function NotFoundPage() {
  return (
    <section>
      <h1>No such page</h1>
      <p>
        Nothing lives at this address. <Link href="/">See the campaigns</Link>.
      </p>
    </section>
  );
}
