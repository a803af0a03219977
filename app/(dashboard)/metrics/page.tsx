import type { Metadata } from 'next';
import { MetricsView } from '@/components/MetricsView';

export const metadata: Metadata = { title: 'Metrics' };

export default function MetricsPage() {
  return (
    <div className="page">
      <div className="page-header">
        <h1>Metrics</h1>
      </div>
      <MetricsView />
    </div>
  );
}
