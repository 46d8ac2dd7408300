import { BlockList, isIP } from 'node:net';

/** Which reverse proxies are believed (config TRUST_PROXY): the last `hops` addresses, or those in the listed CIDRs. */
export type TrustProxy = { hops: number } | { cidrs: string[] };

const unmap = (ip: string) => (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

const lists = new WeakMap<object, BlockList>();
function trustedList(trust: { cidrs: string[] }): BlockList {
  let list = lists.get(trust);
  if (!list) {
    list = new BlockList();
    for (const c of trust.cidrs) {
      const [addr, len] = c.split('/') as [string, string | undefined];
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (len === undefined) list.addAddress(addr, family);
      else list.addSubnet(addr, Number(len), family);
    }
    lists.set(trust, list);
  }
  return list;
}

function isTrusted(list: BlockList, ip: string) {
  const family = isIP(ip);
  if (!family) return false;
  // An IPv4 peer seen on an IPv6 socket (`::ffff:10.0.0.1`) is matched as IPv4, and the other way round.
  return list.check(ip, family === 6 ? 'ipv6' : 'ipv4') || (family === 4 && list.check(`::ffff:${ip}`, 'ipv6'));
}

/**
 * The client's address: the peer's (the socket's, or API Gateway's source IP), unless that peer is a trusted proxy —
 * then X-Forwarded-For is read from its right end (what the trusted proxy itself appended), hop by hop, while each
 * hop is trusted; the first untrusted address is the client. Without TRUST_PROXY the header is never read, so a client
 * cannot choose its own address for rate limits, audit rows or logs.
 */
export function resolveClientIp(peer: string | null, forwardedFor: string | null | undefined, trust: TrustProxy | undefined): string | null {
  if (peer === null) return null;
  let client = unmap(peer);
  if (!trust || !forwardedFor) return client;
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .reverse();
  const list = 'cidrs' in trust ? trustedList(trust) : undefined;
  const trustedHops = 'hops' in trust ? trust.hops : 0;
  for (let i = 0; i < hops.length; i++) {
    // Is the address we hold now (the peer, then each forwarded hop) a proxy we trust to have told the truth?
    const trusted = list ? isTrusted(list, client) : i < trustedHops;
    if (!trusted) break;
    const next = unmap(hops[i]!.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1'));
    // A hop that is not an address (garbage from a client, through a proxy that appends): stop at the proxy's word.
    if (!isIP(next)) break;
    client = next;
  }
  return client;
}
