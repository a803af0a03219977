import Link from 'next/link';
import type { ApiError } from './trpc/types';
import { loginHref } from './useAuth';

/** An API error as a readable notice; unauthorised errors point to the login. */
export function ErrorNotice({
  title,
  error,
  returnTo,
}: {
  title: string;
  error: Pick<ApiError, 'message' | 'data'> | Error;
  returnTo?: string;
}) {
  const data = 'data' in error ? error.data : undefined;
  const code = data?.code;
  // Input errors carry zod's issues; their messages read better than the JSON dump.
  const message = data?.zodIssues?.length
    ? data.zodIssues.map((issue) => issue.message).join('; ')
    : error.message;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {code === 'UNAUTHORIZED' && (
        <p>
          <Link href={loginHref(returnTo ?? '/')}>Log in with the admin token</Link> to do this.
        </p>
      )}
    </div>
  );
}
