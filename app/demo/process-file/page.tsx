import type { Metadata } from 'next';
import { ProcessFileDemo } from '@/components/ProcessFileDemo';

export const metadata: Metadata = { title: 'Process a text' };

export default function ProcessFilePage() {
  return <ProcessFileDemo />;
}
