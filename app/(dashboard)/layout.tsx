import type { ReactNode } from 'react';
import { AppShell } from '@/components/AppShell';

/** The admin dashboard's frame; the app's own pages (e.g. /demo) have layouts of their own. */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return <AppShell>{children}</AppShell>;
}
