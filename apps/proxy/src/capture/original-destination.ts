import { createRequire } from 'node:module';
import { isIPv4, type Socket } from 'node:net';
import { endianness } from 'node:os';

import type * as Koffi from 'koffi';

import { CaptureError } from './capture-error.js';

/**
 * The destination a client asked for before iptables `REDIRECT` rewrote it to the proxy's capture
 * port (15001 outbound, 15006 inbound). It is what Envoy's `original_dst` listener filter reads, and
 * what the proxy routes on in transparent mode.
 */
export interface OriginalDestination {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

// <linux/in.h>, <linux/in6.h>, <linux/netfilter_ipv4.h>, <linux/netfilter_ipv6/ip6_tables.h>.
const SOL_IP = 0;
const SOL_IPV6 = 41;
const SO_ORIGINAL_DST = 80;
const IP6T_SO_ORIGINAL_DST = 80;
const AF_INET = 2;
const AF_INET6 = 10;
/** sizeof(struct sockaddr_in6); a sockaddr_in (16 bytes) fits too. */
const SOCKADDR_BUFFER_SIZE = 28;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: [number]) => number;

interface Libc {
  getsockopt: GetSockOpt;
  errno: () => number;
  /** errno values meaning "no original destination": the connection was simply not redirected. */
  notRedirected: ReadonlySet<number>;
}

let libc: Libc | undefined;
let libcFailure: CaptureError | undefined;

/**
 * Loads koffi and binds getsockopt on first use only: importing this module must cost nothing (no
 * native addon, no dlopen) when transparent mode is off, which is the common case. A failure is
 * remembered, since a library that did not load will not load on the next connection either.
 */
function loadLibc(): Libc {
  if (libc) return libc;
  if (libcFailure) throw libcFailure;
  if (process.platform !== 'linux') {
    libcFailure = new CaptureError(
      'CAPTURE_UNSUPPORTED_PLATFORM',
      `SO_ORIGINAL_DST is a Linux netfilter option; this is ${process.platform}`,
    );
    throw libcFailure;
  }
  try {
    // A synchronous require keeps originalDestination() synchronous (it runs on every accepted
    // connection); koffi ships a CommonJS entry point for exactly this.
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    // `null` opens the running process itself (dlopen(NULL)): getsockopt then resolves from whichever
    // C library Node is linked against (glibc, musl), without guessing a file name like libc.so.6.
    const thisProcess = koffi.load(null);
    const getsockopt = thisProcess.func(
      'int getsockopt(int sockfd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)',
    ) as GetSockOpt;
    const { ENOENT, ENOPROTOOPT } = koffi.os.errno;
    // ENOENT: conntrack does not track this connection (no nat rule in this namespace turned it on).
    // ENOPROTOOPT: nf_conntrack is not even loaded. Either way nothing redirected it.
    const notRedirected = new Set([ENOENT, ENOPROTOOPT]);
    libc = { getsockopt, errno: () => koffi.errno(), notRedirected };
    return libc;
  } catch (cause) {
    const message = `cannot call getsockopt through koffi: ${String(cause)}`;
    libcFailure = new CaptureError('CAPTURE_LIBC_UNAVAILABLE', message, { cause });
    throw libcFailure;
  }
}

/**
 * Node has no public accessor for a socket's descriptor. `socket._handle` is the libuv TCPWrap, and
 * its `fd` getter (inherited from StreamBase) returns the OS descriptor on Unix, or -1 once the handle
 * is closed; `_handle` is null after destroy(). Node's own handle passing relies on the same object.
 */
function fileDescriptorOf(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * IPv4 connections, including those accepted by a dual-stack `::` listener (local address
 * `::ffff:a.b.c.d`), are tracked by IPv4 conntrack and answer SOL_IP; only real IPv6 connections need
 * SOL_IPV6.
 */
function isIPv4Connection(localAddress: string): boolean {
  return isIPv4(localAddress) || (localAddress.startsWith('::ffff:') && isIPv4(localAddress.slice(7)));
}

/**
 * The pre-NAT destination of a connection redirected by iptables `REDIRECT`, read with
 * `getsockopt(SO_ORIGINAL_DST)` (IPv4) or `getsockopt(IP6T_SO_ORIGINAL_DST)` (IPv6). Returns
 * undefined when the connection was not redirected (no conntrack NAT entry, or one whose original
 * destination is the socket's own local address). Throws a {@link CaptureError} for real failures:
 * not Linux, koffi/libc unavailable, a socket without descriptor, or an unexpected errno.
 */
export function originalDestination(socket: Socket): OriginalDestination | undefined {
  const fd = fileDescriptorOf(socket);
  const localAddress = socket.localAddress;
  if (fd === undefined || localAddress === undefined) {
    throw new CaptureError('CAPTURE_NO_FILE_DESCRIPTOR', 'the socket is closed or is not a TCP socket');
  }
  const { getsockopt, errno, notRedirected } = loadLibc();
  const ipv4 = isIPv4Connection(localAddress);
  const sockaddr = Buffer.alloc(SOCKADDR_BUFFER_SIZE);
  const length: [number] = [SOCKADDR_BUFFER_SIZE];
  const result = ipv4
    ? getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, sockaddr, length)
    : getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, sockaddr, length);
  if (result !== 0) {
    const code = errno();
    if (notRedirected.has(code)) return undefined;
    throw new CaptureError(
      'CAPTURE_GETSOCKOPT_FAILED',
      `getsockopt(SO_ORIGINAL_DST) on fd ${fd}: errno ${code}`,
      {
        cause: code,
      },
    );
  }
  const destination = decodeSockaddr(sockaddr, ipv4 ? AF_INET : AF_INET6);
  // Once conntrack runs in a namespace (any nat rule turns it on) it tracks every connection, and
  // SO_ORIGINAL_DST answers for unNATed ones too, with the address the socket is bound to anyway.
  // Envoy's original_dst filter draws the same line: same as the local address means not redirected.
  const local = ipv4 ? localAddress.replace(/^::ffff:/, '') : localAddress;
  if (destination.address === local && destination.port === socket.localPort) return undefined;
  return destination;
}

/**
 * struct sockaddr_in: family (host order), port (network order), 4 address bytes.
 * struct sockaddr_in6: family, port, flowinfo (4 bytes), 16 address bytes, scope id.
 */
function decodeSockaddr(sockaddr: Buffer, expectedFamily: number): OriginalDestination {
  const family = endianness() === 'LE' ? sockaddr.readUInt16LE(0) : sockaddr.readUInt16BE(0);
  if (family !== expectedFamily) {
    throw new CaptureError(
      'CAPTURE_GETSOCKOPT_FAILED',
      `getsockopt(SO_ORIGINAL_DST) returned address family ${family}, expected ${expectedFamily}`,
    );
  }
  const port = sockaddr.readUInt16BE(2);
  if (family === AF_INET) return { address: [...sockaddr.subarray(4, 8)].join('.'), port, family: 'IPv4' };
  return { address: formatIPv6(sockaddr.subarray(8, 24)), port, family: 'IPv6' };
}

/** RFC 5952 text form: lower case, the first longest run of zero groups (two or more) as `::`. */
function formatIPv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let start = 0; start < 8; start++) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
  }
  // Like Node (libuv's inet_ntop), so the text compares equal to socket.localAddress.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
