import type { PageProps } from '../page.js';

export function SettingsPage(_props: PageProps) {
  return (
    <section>
      <h1>Settings</h1>
    </section>
  );
}
