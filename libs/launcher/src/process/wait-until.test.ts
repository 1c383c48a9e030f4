import { describe, expect, it } from 'vitest';

import { waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('returns once the check holds, counting a check that throws as not yet', async () => {
    let calls = 0;
    await waitUntil(
      async () => {
        calls++;
        if (calls === 1) throw new Error('connection refused');
        return calls === 3;
      },
      5000,
      () => 'never',
      10,
    );
    expect(calls).toBe(3);
  });

  it('throws what describe() says once the time is up', async () => {
    await expect(
      waitUntil(
        async () => false,
        50,
        () => 'the app does not listen',
        10,
      ),
    ).rejects.toThrow('the app does not listen');
  });
});
