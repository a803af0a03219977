import type { Metadata } from 'next';
import { WorkersView } from '@/components/WorkersView';

export const metadata: Metadata = { title: 'Workers' };

export default function WorkersPage() {
  return (
    <div className="page">
      <div className="page-header">
        <h1>Workers</h1>
      </div>
      <WorkersView />
    </div>
  );
}
