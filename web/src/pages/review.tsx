import type { PageProps } from '../page.js';

export function ReviewPage(_props: PageProps) {
  return (
    <section>
      <h1>Review</h1>
    </section>
  );
}
