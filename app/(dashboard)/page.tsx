import { Suspense } from 'react';
import { ExecutionsList } from '@/components/ExecutionsList';

export default function HomePage() {
  return (
    <Suspense>
      <ExecutionsList />
    </Suspense>
  );
}
