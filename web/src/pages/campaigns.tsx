import type { PageProps } from '../page.js';

export function CampaignsPage(_props: PageProps) {
  return (
    <section>
      <h1>Campaigns</h1>
    </section>
  );
}
