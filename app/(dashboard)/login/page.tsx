import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LoginPage } from '@/components/LoginPage';

export const metadata: Metadata = { title: 'Log in' };

export default function Login() {
  return (
    <div className="page page-narrow">
      <div className="page-header">
        <h1>Log in</h1>
      </div>
      <Suspense>
        <LoginPage />
      </Suspense>
    </div>
  );
}
