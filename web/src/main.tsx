/**
 * The scf-local web console: sign-in, then the functions and one function's charts, invocations, live
 * tail and invoke panel. It talks to the server only through signed API calls (api.ts); its key is in the
 * tab's sessionStorage (session.ts).
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type ApiError, apiTimeZoneOffsetMinutes, type Credentials } from './api.js';
import { type AppContext, isAuthError } from './context.js';
import { BASE, navigate, useRoute } from './route.js';
import { clearCredentials, loadCredentials, redeemLoginCode, saveCredentials } from './session.js';
import './style.css';
import { FunctionView } from './views/function.js';
import { FunctionsView } from './views/functions.js';
import { ErrorBox, SignIn } from './views/sign-in.js';

function App() {
  const [creds, setCreds] = useState<Credentials | undefined>(() => loadCredentials());
  const [error, setError] = useState<{ code: string; message: string } | undefined>();
  const [apiOffset, setApiOffset] = useState<number | undefined>();
  const [checked, setChecked] = useState(false);
  const route = useRoute();
  const api = useMemo(() => (creds ? new Api(creds) : undefined), [creds]);

  // A sign-in code from `scf-local console`, exchanged once and removed from the address bar.
  useEffect(() => {
    redeemLoginCode().then(
      (c) => {
        if (c) {
          saveCredentials(c);
          setCreds(c);
          setChecked(false);
        }
      },
      (err: Error & { code?: string }) =>
        setError({ code: err.code ?? 'InternalError', message: err.message }),
    );
    void apiTimeZoneOffsetMinutes().then(setApiOffset);
  }, []);

  // Credentials are checked once (ListNamespaces) before anything is shown.
  useEffect(() => {
    if (!creds || checked) return;
    new Api(creds).call('ListNamespaces', { Limit: 1 }).then(
      () => setChecked(true),
      (err: ApiError) => {
        if (isAuthError(err)) {
          clearCredentials();
          setCreds(undefined);
        }
        setError({ code: err.code, message: err.message });
      },
    );
  }, [creds, checked]);

  const signOut = (): void => {
    clearCredentials();
    setCreds(undefined);
    setChecked(false);
    setError(undefined);
  };

  if (!creds || !checked || apiOffset === undefined) {
    return (
      <main class="signin-page">
        <h1>scf-local console</h1>
        {error && <ErrorBox code={error.code} message={error.message} />}
        {!creds ? (
          <SignIn
            onSignIn={(c) => {
              saveCredentials(c);
              setError(undefined);
              setChecked(false);
              setCreds(c);
            }}
          />
        ) : (
          !error && <p class="muted">Checking the key…</p>
        )}
      </main>
    );
  }

  const ctx: AppContext = {
    api: api!,
    apiOffset,
    onAuthError: (err) => {
      clearCredentials();
      setCreds(undefined);
      setChecked(false);
      setError({ code: err.code, message: err.message });
    },
  };
  return (
    <>
      <header class="top">
        <a
          href={BASE}
          class="brand"
          onClick={(e) => {
            e.preventDefault();
            navigate(BASE);
          }}
        >
          scf-local console
        </a>
        <span class="muted">
          signed in as <code>{creds.secretId}</code>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.view === 'function' ? (
          <FunctionView
            key={`${route.namespace}/${route.functionName}`}
            ctx={ctx}
            namespace={route.namespace}
            functionName={route.functionName}
            query={route.query}
          />
        ) : (
          <FunctionsView ctx={ctx} query={route.query} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
