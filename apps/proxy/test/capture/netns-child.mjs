// Runs inside a network namespace (`ip netns exec <ns> node netns-child.mjs ...`) for
// network-namespace.ts, and talks to the test over the IPC channel node set up for it.
//
//   listen <host>@<port>@<v6only|any>...  bind each listener, hand it to the test (the socket keeps
//                                          living in this namespace), then exit
//   connect <host> <port> <uid> <gid>      become uid/gid first (iptables matches the socket owner),
//                                          connect, report the local port, wait for the server to close
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);

// Bounded: never outlive a test that gave up on us.
setTimeout(() => process.exit(3), 5_000).unref();

function fail(error) {
  process.send({ error: error.code ?? String(error) }, () => process.exit(2));
}

if (mode === 'listen') {
  let handed = 0;
  for (const spec of args) {
    const [host, port, family] = spec.split('@');
    const server = net.createServer();
    server.on('error', fail);
    server.listen({ host, port: Number(port), ipv6Only: family === 'v6only' }, () => {
      process.send({ listening: server.address() }, server, () => {
        server.close();
        if (++handed === args.length) process.disconnect();
      });
    });
  }
} else if (mode === 'connect') {
  const [host, port, uid, gid] = args;
  process.setgroups([]);
  process.setgid(Number(gid));
  process.setuid(Number(uid));
  const socket = net.connect({ host, port: Number(port) });
  socket.on('error', fail);
  socket.on('connect', () => {
    process.send({ localPort: socket.localPort });
    socket.write('hello\n');
  });
  socket.on('close', () => process.disconnect());
} else {
  fail(new Error(`unknown mode ${mode}`));
}
