// Small assertions shared by the route suites.
import { expect } from 'vitest';
import type { Res } from '../helpers/http.js';

/** An error answer as DESIGN.md §1 wants it: the status, and JSON {error, message} (both strings). */
export function expectError(res: Res, status: number, error?: string | RegExp): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { error: expect.any(String), message: expect.any(String) } });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  if (typeof error === 'string') expect(res.body.error).toBe(error);
  else if (error) expect(res.body.error).toMatch(error);
}

export const DAY = 86_400_000;

export { backends } from '../helpers/postgres.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
