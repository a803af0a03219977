/** Next.js start-up hook: starts this process's executor with the server (Node runtime only). */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getDurably } = await import('@/server/executor');
  await getDurably();
}
