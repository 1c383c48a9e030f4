import { spawn } from 'node:child_process';

/**
 * Prometheus's own checker of the text exposition format, `promtool check metrics`: the real peer
 * for every metric the proxy serves on `/stats/prometheus`.
 */

export interface PromtoolResult {
  code: number | null;
  output: string[];
}

/** Runs `promtool check metrics` with `text` on stdin; fails clearly if promtool is missing. */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('promtool check metrics did not finish within 10 s'));
    }, 10_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new Error('promtool is not installed (Debian: apt-get install prometheus); CI must provide it')
          : error,
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.split('\n').filter((line) => line.trim() !== '') });
    });
    child.stdin.end(text);
  });
}
