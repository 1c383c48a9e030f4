import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { processAlive } from '../src/local/run-state.js';

/**
 * Whether a mesh's supervisor still runs decides whether `local up` refuses the state directory and
 * whether `local down` asks it to stop: a supervisor killed while detached stays a zombie until init
 * reaps it, and must count as gone.
 */
describe('processAlive', () => {
  it('is false for a dead process that is not reaped yet (a zombie)', async () => {
    // `sleep 0` is a child of the process that then execs `sleep 5`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(`${d}`))),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('is true for a running process and false for none', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(undefined)).toBe(false);
  });
});
