import type { Metadata } from 'next';
import { EnqueueForm } from '@/components/EnqueueForm';

export const metadata: Metadata = { title: 'Enqueue a task' };

interface Props {
  searchParams: Promise<{ task?: string | string[] }>;
}

export default async function EnqueuePage({ searchParams }: Props) {
  const { task } = await searchParams;
  return (
    <div className="page page-narrow">
      <div className="page-header">
        <h1>Enqueue a task</h1>
      </div>
      <EnqueueForm initialTaskId={typeof task === 'string' ? task : null} />
    </div>
  );
}
