/** The three states every page's data goes through besides ready: loading, failed, and empty. */
import type { ComponentChildren } from 'preact';
import type { Resource } from '../use-resource.js';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Failed({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div class="state failed" role="alert">
      <p>
        <strong>Could not load this.</strong> {error.message}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

/** A reload that failed: what is shown below stays, as it was last loaded. */
export function Stale({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div class="state stale" role="alert">
      <p>
        <strong>Could not refresh this:</strong> {error.message.replace(/\.?\s*$/, '.')} What is shown is as it was last loaded.
      </p>
      {retry && (
        <button type="button" class="secondary" onClick={retry}>
          Refresh again
        </button>
      )}
    </div>
  );
}

/** Renders a resource's data once it has some (a failed reload noted above it); loading and failure states otherwise. */
export function Loaded<T>({ resource, what, children }: { resource: Resource<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (resource.state === 'error') return <Failed error={resource.error} retry={resource.reload} />;
  if (resource.state === 'loading') return <Loading what={what} />;
  return (
    <>
      {resource.reloadError && <Stale error={resource.reloadError} retry={resource.reload} />}
      {children(resource.data)}
    </>
  );
}
