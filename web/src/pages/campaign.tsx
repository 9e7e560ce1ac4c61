import type { PageProps } from '../page.js';

export function CampaignPage(_props: PageProps) {
  return (
    <section>
      <h1>Campaign</h1>
    </section>
  );
}
