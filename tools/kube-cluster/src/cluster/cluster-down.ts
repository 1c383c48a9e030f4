import { layoutPaths, readState, writeState, type RunningComponent } from './cluster-layout.js';
import { withDirectoryLock } from './directory-lock.js';
import { isRunning, stopProcess } from './processes.js';

/**
 * Stops what `up` started in a directory, newest first (kwok and the controllers before the API
 * server, etcd last), and nothing else: only the pids cluster.json records, and only while their
 * start time matches. The directory (data, keys, logs) stays; `up` on it starts the same cluster again.
 */
export async function down(
  dir: string,
  log: (line: string) => void = () => undefined,
): Promise<RunningComponent[]> {
  const root = layoutPaths(dir).dir;
  const found = readState(root);
  if (!found) throw new Error(`${root} holds no cluster (no cluster.json)`);
  return withDirectoryLock(root, async () => {
    const state = readState(root) ?? found;
    const stopped: RunningComponent[] = [];
    for (const component of [...state.components].reverse()) {
      if (!isRunning(component)) continue;
      await stopProcess(component);
      stopped.push(component);
      log(`stopped ${component.name} (pid ${component.pid})`);
    }
    writeState(root, { ...state, components: [] });
    return stopped;
  });
}
