// A bin entry as the mesh's are written (runOnSupportedNode first), then whatever the test asks for, on
// the Node it ends up running on. The test copies it beside a package.json whose engines it chooses.
import { writeSync } from 'node:fs';

// The package name, as a bin entry imports it: the test runs a copy of this file outside libs/launcher.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { runOnSupportedNode } from '@mesh/launcher/pinned-node';

await runOnSupportedNode(import.meta.url);

const [what, arg] = process.argv.slice(2);
if (what === 'version') console.log(process.version);
if (what === 'exit') process.exit(Number(arg));
if (what === 'die') process.kill(process.pid, arg);
if (what === 'echo')
  process.stdin.on('data', (chunk) => process.stdout.write(chunk.toString().toUpperCase()));
if (what === 'ready-fd') writeSync(Number(process.argv[4]), 'ready\n'); // ready-fd --ready-fd N
if (what === 'wait') {
  // SIGTERM ends it at once; SIGINTs are counted for a second, to show each reached it once.
  let interrupts = 0;
  process.on('SIGTERM', () => {
    console.log(`SIGTERM in ${process.pid}`);
    process.exit(7);
  });
  process.on('SIGINT', () => {
    if (interrupts++ > 0) return;
    setTimeout(() => {
      console.log(`SIGINT x${interrupts} in ${process.pid}`);
      process.exit(0);
    }, 1000);
  });
  setInterval(() => undefined, 1 << 30);
  console.log(`waiting in ${process.pid}`);
}
