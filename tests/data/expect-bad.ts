// Shared assertion for tests/data and tests/tune: the call throws AxonError(code) whose message
// matches every given part (the file or source name first, then the problem).
import { expect } from 'vitest';
import { AxonError } from '../../src/errors.js';

export function expectBad(f: () => unknown, code: string, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(AxonError);
  expect((err as AxonError).code).toBe(code);
  for (const p of parts) expect((err as AxonError).message).toMatch(p);
}

export async function expectBadAsync(f: () => Promise<unknown>, code: string, ...parts: (string | RegExp)[]): Promise<void> {
  let err: unknown;
  try { await f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(AxonError);
  expect((err as AxonError).code).toBe(code);
  for (const p of parts) expect((err as AxonError).message).toMatch(p);
}
