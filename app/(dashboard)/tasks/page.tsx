import type { Metadata } from 'next';
import { TasksOverview } from '@/components/TasksOverview';

export const metadata: Metadata = { title: 'Tasks' };

export default function TasksPage() {
  return (
    <div className="page">
      <div className="page-header">
        <h1>Tasks</h1>
      </div>
      <TasksOverview />
    </div>
  );
}
