import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { isAdminRequest, isCrossSiteRequest, loginCookie, logoutCookie, sameSecret } from '../auth';
import { createTRPCRouter, publicProcedure } from '../trpc';

const sameSiteProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.headers && isCrossSiteRequest(ctx.headers)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-site requests are not allowed' });
  }
  return next();
});

/** The dashboard's login: exchanges the admin token for an httpOnly cookie. */
export const authRouter = createTRPCRouter({
  status: publicProcedure.query(({ ctx }) => ({
    required: ctx.adminToken !== undefined,
    authenticated: ctx.adminToken === undefined || isAdminRequest(ctx.headers, ctx.adminToken),
  })),

  login: sameSiteProcedure
    .input(z.object({ token: z.string().min(1).max(1024) }))
    .mutation(({ ctx, input }) => {
      if (ctx.adminToken === undefined) return { authenticated: true };
      if (!sameSecret(input.token, ctx.adminToken)) {
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong admin token' });
      }
      const secure = ctx.headers?.get('x-forwarded-proto') === 'https';
      ctx.resHeaders?.append('Set-Cookie', loginCookie(ctx.adminToken, secure));
      return { authenticated: true };
    }),

  logout: sameSiteProcedure.mutation(({ ctx }) => {
    ctx.resHeaders?.append('Set-Cookie', logoutCookie());
    return { authenticated: false };
  }),
});
