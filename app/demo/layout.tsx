import type { ReactNode } from 'react';
import { TRPCReactProvider } from '@/components/trpc/react';

/** The app's own pages: no dashboard frame, the same typed API. */
export default function DemoLayout({ children }: { children: ReactNode }) {
  return (
    <TRPCReactProvider>
      <main className="page demo">{children}</main>
    </TRPCReactProvider>
  );
}
