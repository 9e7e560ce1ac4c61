import type { PageProps } from '../page.js';

export function ContactPage(_props: PageProps) {
  return (
    <section>
      <h1>Contact</h1>
    </section>
  );
}
