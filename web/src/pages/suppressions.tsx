import type { PageProps } from '../page.js';

export function SuppressionsPage(_props: PageProps) {
  return (
    <section>
      <h1>Suppressions</h1>
    </section>
  );
}
