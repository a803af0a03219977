import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter, createApiContext } from '@/server/api';
import { readLimitedBody } from '@/server/api/limitedBody';

/** Bodies over this are refused before parsing (task inputs are limited to 1 MiB). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

async function handler(req: Request): Promise<Response> {
  const limited = await readLimitedBody(req, MAX_BODY_BYTES);
  if (!limited.ok) {
    return Response.json(
      { error: { message: `Request body over the limit of ${MAX_BODY_BYTES} bytes` } },
      { status: 413 },
    );
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: limited.request,
    router: appRouter,
    createContext: ({ resHeaders }) => createApiContext({ headers: req.headers, resHeaders }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        console.error(`[durably] API error on ${path ?? '?'}:`, error.cause ?? error);
      }
    },
  });
}

export { handler as GET, handler as POST };
export const dynamic = 'force-dynamic';
