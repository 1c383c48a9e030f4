// A stand-in for istiod in the launcher's tests: behaves as its first argument says, reporting on the
// descriptor given by --ready-fd as the readiness contract describes (or breaking the contract).
import { closeSync, writeSync } from 'node:fs';

const [behaviour] = process.argv.slice(2);
const flag = process.argv.indexOf('--ready-fd');
const fd = flag < 0 ? undefined : Number(process.argv[flag + 1]);
const report = (document) => {
  writeSync(fd, `${typeof document === 'string' ? document : JSON.stringify(document)}\n`);
  closeSync(fd);
};
const stayAlive = () => setInterval(() => undefined, 1000);

console.log(`fake program: ${behaviour}`);
switch (behaviour) {
  case 'ready':
    report({ ready: true, ports: { xdsPort: 15010, secureXdsPort: 15012, monitoringPort: 15014 } });
    stayAlive();
    break;
  case 'fail-and-hang':
    // Reports why it cannot start, then does not exit (as a program whose open handles keep it alive).
    report({ ready: false, reason: 'listen EADDRINUSE: address already in use 127.0.0.1:15012' });
    process.on('SIGTERM', () => undefined);
    stayAlive();
    break;
  case 'exit':
    console.error('fake: --config-dir is required');
    process.exit(2);
    break;
  case 'garbage':
    report('istiod is serving');
    stayAlive();
    break;
  case 'flood':
    // Writes without end and never a newline.
    writeSync(fd, 'x'.repeat(100 * 1024));
    stayAlive();
    break;
  case 'silent-stubborn':
    // Never reports and ignores SIGTERM: only SIGKILL ends it.
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    console.log('SIGTERM is ignored from now on');
    stayAlive();
    break;
  default:
    throw new Error(`unknown behaviour ${behaviour}`);
}
