/** The sign-in form (SecretId/SecretKey, kept in the tab's sessionStorage only) and the coded error box. */
import { useState } from 'preact/hooks';
import type { Credentials } from '../api.js';

export function ErrorBox(props: { code: string; message: string; requestId?: string | undefined }) {
  return (
    <div class="error" role="alert" data-testid="error">
      <strong class="code">{props.code}</strong> {props.message}
      {props.requestId && <div class="muted">RequestId {props.requestId}</div>}
    </div>
  );
}

export function SignIn(props: { onSignIn: (c: Credentials) => void }) {
  const [secretId, setSecretId] = useState('');
  const [secretKey, setSecretKey] = useState('');
  return (
    <form
      class="signin"
      onSubmit={(e) => {
        e.preventDefault();
        if (secretId.trim() && secretKey) props.onSignIn({ secretId: secretId.trim(), secretKey });
      }}
    >
      <label>
        SecretId
        <input
          name="secretId"
          autocomplete="username"
          value={secretId}
          onInput={(e) => setSecretId(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        SecretKey
        <input
          name="secretKey"
          type="password"
          autocomplete="current-password"
          value={secretKey}
          onInput={(e) => setSecretKey(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit">Sign in</button>
      <p class="muted">
        The key stays in this tab (sessionStorage) and signs each call; it is never sent.{' '}
        <code>scf-local console</code> opens this page signed in.
      </p>
    </form>
  );
}
