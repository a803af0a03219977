import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ExecutionsList } from '@/components/ExecutionsList';

export const metadata: Metadata = { title: 'Executions' };

export default function ExecutionsPage() {
  return (
    <Suspense>
      <ExecutionsList />
    </Suspense>
  );
}
