/**
 * A table that scrolls sideways inside its own box on a narrow screen instead of widening the page.
 * The box is a labelled region that takes focus, so a keyboard user can scroll it too.
 */
import type { ComponentChildren } from 'preact';

export function ScrollTable({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
