import type { PageProps } from '../page.js';

export function ContactsPage(_props: PageProps) {
  return (
    <section>
      <h1>Contacts</h1>
    </section>
  );
}
