/**
 * IP addresses and CIDR ranges for `ipBlocks`, `remoteIpBlocks`, `source.ip`, `remote.ip` and
 * `destination.ip`. Istio accepts a single address (a /32 or /128 range) or a CIDR, IPv4 or IPv6
 * (`util.AddrStrToCidrRange`); Envoy's `CidrRange` only matches addresses of the same family.
 */

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface CidrRange extends IpAddress {
  prefixLength: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255 || (part.length > 1 && part.startsWith('0'))) {
      return undefined;
    }
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseHextets(text: string): number[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  const hextets: number[] = [];
  for (const [i, group] of groups.entries()) {
    if (i === groups.length - 1 && group.includes('.')) {
      // An embedded IPv4 address (`::ffff:192.0.2.1`) fills the last two hextets.
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      hextets.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
      hextets.push(parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  return hextets;
}

function parseIpv6(text: string): bigint | undefined {
  const zoneless = text.split('%')[0] ?? '';
  const halves = zoneless.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHextets(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const hextets = [...head, ...Array<number>(missing).fill(0), ...tail];
  return hextets.reduce((value, hextet) => (value << 16n) | BigInt(hextet), 0n);
}

/** Parses an IPv4 or IPv6 address; `undefined` when it is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Parses `203.0.113.4` (a host range) or `203.0.113.0/24`; `undefined` when invalid. */
export function parseCidrRange(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const maxLength = address.family === 4 ? 32 : 128;
  if (slash < 0) return { ...address, prefixLength: maxLength };
  const length = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(length) || Number(length) > maxLength) return undefined;
  return { ...address, prefixLength: Number(length) };
}

/** Whether `address` lies in `range` (host bits of the range are ignored, as Envoy does). */
export function cidrContains(range: CidrRange, address: IpAddress): boolean {
  if (range.family !== address.family) return false;
  const width = BigInt(range.family === 4 ? 32 : 128);
  const hostBits = width - BigInt(range.prefixLength);
  return range.value >> hostBits === address.value >> hostBits;
}
