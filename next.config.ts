import { realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { NextConfig } from 'next';

/**
 * Turbopack's root must hold both the app and the node_modules it resolves from. In a normal
 * checkout that is the project itself; where node_modules is a symlink (a git worktree sharing
 * another checkout's install), it is their common ancestor.
 */
function turbopackRoot(): string {
  const project = process.cwd();
  let modules: string;
  try {
    modules = dirname(realpathSync(join(project, 'node_modules')));
  } catch {
    return project;
  }
  let root = project;
  while (relative(root, modules).startsWith('..') && dirname(root) !== root) root = dirname(root);
  return root.endsWith(sep) ? root.slice(0, -1) : root;
}

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The dashboard ships no remote fonts or assets; nothing is fetched at build or run time.
  images: { unoptimized: true },
  turbopack: { root: turbopackRoot() },
};

export default nextConfig;
