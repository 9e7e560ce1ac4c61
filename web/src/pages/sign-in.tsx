/** Sign in with an email address and a password; then on to the page that sent the browser here. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { nextPath } from '../../../src/core/next-path.js';

export function SignInPage() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · mailsight';
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await api.signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
      location.assign(nextPath(new URLSearchParams(location.search).get('next'), location.origin));
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'That email address and password do not match an account.'
          : failure instanceof Error
            ? failure.message
            : String(failure),
      );
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>mailsight</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
