import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ExecutionView } from '@/components/ExecutionView';

interface Props {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  return { title: `Execution ${decodeURIComponent(id)}` };
}

export default async function ExecutionPage({ params }: Props) {
  const { id } = await params;
  const executionId = decodeURIComponent(id);
  return (
    <Suspense>
      <ExecutionView key={executionId} executionId={executionId} />
    </Suspense>
  );
}
