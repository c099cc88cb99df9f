import type { CallSource } from '../switch';

/**
 * Where an INVITE comes from decides what it may do: carrier trunks and in-car terminal gateways
 * are known by address; an in-car terminal also identifies itself with vehicle headers; an agent's
 * phone is a registered, authenticated user. Anything else is refused.
 */
export interface SourcePolicy {
  /** Carrier SBCs / trunks (CIDR list). */
  trunkCidrs: string[];
  /** Gateways of the connected-car platform (CIDR list). */
  vehicleCidrs: string[];
  /** Header an in-car terminal puts on its calls (lower-case), e.g. x-vehicle-vin. */
  vehicleHeader: string;
}

export type SourceVerdict = { source: CallSource } | { refuse: number; reason: string };

export function classifyInbound(input: { address: string; headers: Record<string, string>; agentUser: string | undefined }, policy: SourcePolicy): SourceVerdict {
  if (input.agentUser !== undefined) return { source: 'agent' };
  const fromVehicleGateway = policy.vehicleCidrs.some((c) => inCidr(input.address, c));
  if (fromVehicleGateway) {
    if (!input.headers[policy.vehicleHeader]) return { refuse: 400, reason: `vehicle call without ${policy.vehicleHeader}` };
    return { source: 'vehicle' };
  }
  if (policy.trunkCidrs.some((c) => inCidr(input.address, c))) {
    return { source: input.headers[policy.vehicleHeader] ? 'vehicle' : 'trunk' };
  }
  return { refuse: 403, reason: `source ${input.address} is not a known trunk or vehicle gateway` };
}

/** IPv4 address in a CIDR block (a bare address is a /32). IPv6 matches only an identical address. */
export function inCidr(address: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (net === undefined) return false;
  const a = ipv4(address);
  const n = ipv4(net);
  if (a === undefined || n === undefined) return address.toLowerCase() === net.toLowerCase() && bitsText === undefined;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) === (n & mask);
}

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

/** A comma-separated CIDR list from configuration; throws naming the bad entry. */
export function parseCidrList(text: string | undefined, name: string): string[] {
  if (!text) return [];
  return text.split(',').map((raw) => {
    const c = raw.trim();
    const [net, bits] = c.split('/');
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32);
    if (!net || ipv4(net) === undefined || !okBits) throw new Error(`${name}: ${JSON.stringify(c)} is not an IPv4 address or CIDR block`);
    return c;
  });
}
