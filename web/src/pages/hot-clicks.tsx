import type { PageProps } from '../page.js';

export function HotClicksPage(_props: PageProps) {
  return (
    <section>
      <h1>Hot clicks</h1>
    </section>
  );
}
