'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTRPC } from './trpc/react';

/** Exchanges the admin token for the server's httpOnly login cookie. */
export function LoginForm({ onSuccess }: { onSuccess?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { token: useId(), error: useId() };
  const [token, setToken] = useState('');
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        setToken('');
        await queryClient.invalidateQueries(trpc.auth.pathFilter());
        onSuccess?.();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) login.mutate({ token: token.trim() });
  };
  return (
    <form className="login-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.token}>Admin token</label>
        <input
          id={ids.token}
          type="password"
          autoComplete="current-password"
          value={token}
          required
          aria-invalid={login.isError}
          aria-describedby={login.isError ? ids.error : undefined}
          onChange={(event) => setToken(event.target.value)}
        />
        <p className="field-help">
          The value of <code>DURABLY_ADMIN_TOKEN</code> on the server. It is kept in an httpOnly
          cookie for 12 hours.
        </p>
        {login.error && (
          <p id={ids.error} className="field-error" role="alert">
            {login.error.message}
          </p>
        )}
      </div>
      <button type="submit" className="button button-primary" disabled={login.isPending}>
        {login.isPending ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
