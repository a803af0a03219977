import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The dashboard ships no remote fonts or assets; nothing is fetched at build or run time.
  images: { unoptimized: true },
};

export default nextConfig;
