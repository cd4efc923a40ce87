// Postgres text columns cannot hold NUL (U+0000): such a value is a 500 there and is stored
// silently on SQLite. No Z-API field needs it, so requests carrying one are refused at the
// edge, the same way on both databases.

/** JSON-pointer-like path of the first string (or key) containing NUL, or null. Iterative: bodies may nest deeply. */
export function findNul(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path || '/';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${path}/${k.replace(/\u0000/g, '\\u0000')}`;
        stack.push([child, `${path}/${k}`]);
      }
    }
  }
  return null;
}
