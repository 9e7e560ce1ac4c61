/**
 * The networks that synthetic clients come from. Ranges that mailsight ships lists of (Microsoft EOP
 * and Exchange, Barracuda, Teams, Apple egress, the clouds, and the Proofpoint, Mimecast and Cisco
 * gateways' ranges) are drawn from the published ones, or, for the three gateways, from the same
 * ranges the shipped lists hold (so the evaluation cannot tell how complete those lists are); the others
 * only look like the networks they stand for (ISP, office, isolation vendors, small hosting providers),
 * so that a classifier cannot rely on them.
 */
import { CidrSet, parseCidr, randomAddressIn, type Cidr } from './cidr.js';
import type { Rng } from './prng.js';

/** The sender's office: TEST-NET-1 (RFC 5737), the evaluation's default --self-networks. */
export const SENDER_OFFICE_NETWORK = '192.0.2.0/24';

const RANGES = {
  /** Gmail image proxy and Gmail app prefetch (Google space). */
  google: ['66.249.80.0/20', '66.102.0.0/20', '74.125.0.0/16', '209.85.128.0/17', '2a00:1450:4000::/37'],
  /** Yahoo Mail image proxy. */
  yahoo: ['74.6.0.0/16', '98.136.0.0/14', '66.196.64.0/18', '87.248.96.0/19'],
  /** Exchange Online Protection / Safe Links, as published (nhi.md). */
  microsoftEop: ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17', '2a01:111:f400::/48', '2a01:111:f403::/48'],
  /**
   * Exchange Online's servers (outlook.office365.com and the like, in Microsoft's published Exchange
   * ranges): where Outlook on the web loads a reader's images from. Defender's scans run in Azure
   * outside these ranges (nhi.md).
   */
  exchangeOnline: ['52.96.0.0/14', '40.96.0.0/13', '40.104.0.0/15'],
  /** Wider Microsoft/Azure space: Safe Links page loads (40.94.x, nhi.md). */
  microsoftWeb: ['40.94.0.0/16', '52.96.0.0/14', '20.190.128.0/18'],
  /** Teams link previews (nhi.md). */
  teams: ['52.112.0.0/14', '52.120.0.0/14'],
  /** Barracuda Email Gateway Defense (nhi.md). */
  barracuda: [
    '3.24.133.128/25', '15.222.16.128/25', '35.157.190.224/27', '18.185.115.192/26', '18.184.203.224/27',
    '13.200.136.128/25', '35.176.92.96/27', '18.133.136.128/26', '18.133.136.96/27', '209.222.82.0/24',
  ],
  /** Proofpoint's mail-server ranges (networks/proofpoint.txt holds these and one more). */
  proofpoint: ['148.163.128.0/19', '67.231.144.0/20', '205.220.160.0/19'],
  /** Mimecast's documented ranges, in part (networks/mimecast.txt). */
  mimecast: ['205.139.110.0/24', '207.211.30.0/24', '170.10.128.0/21', '185.58.84.0/22'],
  /** Cisco's hosted IronPort gateways (networks/cisco-ironport.txt). */
  ironport: ['68.232.128.0/19', '216.71.128.0/19'],
  /** Browser-isolation vendors (Zscaler-like): real people's clicks are loaded from here. */
  isolation: ['165.225.0.0/17', '136.226.0.0/16', '147.161.128.0/17', '104.129.192.0/20'],
  /**
   * Cloud and hosting space where scanners, sandboxes and HTTP scripts run: AWS, Azure, Google and DigitalOcean ranges
   * (on the shipped cloud lists) and OVH and Hetzner (on none).
   */
  cloud: [
    '3.208.0.0/12', '18.204.0.0/14', '54.144.0.0/12', '34.192.0.0/10', '20.36.0.0/14', '13.64.0.0/11',
    '34.64.0.0/10', '35.184.0.0/13', '159.89.0.0/16', '167.99.0.0/16', '51.68.0.0/16', '88.198.0.0/16',
    '2600:1f18::/33', '2a01:4f8::/32',
  ],
  /**
   * Published cloud space, as in networks/cloud-*.txt: where Defender detonates (Azure outside Exchange
   * Online, nhi.md), where Barracuda's AWS blocks are, and where people's VPNs and virtual desktops run.
   */
  azure: ['20.36.0.0/14', '13.64.0.0/11', '20.40.0.0/13', '52.224.0.0/12'],
  aws: ['3.208.0.0/12', '54.144.0.0/12', '18.204.0.0/14'],
  gcp: ['34.64.0.0/10', '35.184.0.0/13'],
  digitalocean: ['167.99.0.0/16'],
  /** Slack's link unfurlers (AWS-like). */
  slack: ['3.80.0.0/12', '54.160.0.0/12'],
  /** Home broadband, IPv4 and IPv6 (Comcast-, BT-, Orange-, Telekom-like). */
  residential: [
    '73.0.0.0/8', '24.0.0.0/12', '71.0.0.0/12', '86.128.0.0/10', '90.0.0.0/9', '79.192.0.0/10', '84.128.0.0/10',
    '83.32.0.0/11', '82.0.0.0/12', '2a01:cb00::/24', '2003::/19', '2600:1700::/24', '2601::/20',
  ],
  /** Mobile carriers: carrier-grade NAT, many subscribers behind few addresses. */
  mobile: ['172.56.0.0/14', '174.192.0.0/10', '2a01:598::/32', '2607:fb90::/28'],
  /** Business lines: corporate offices behind NAT. */
  office: ['62.128.0.0/11', '195.0.0.0/9', '212.0.0.0/9', '63.64.0.0/10', '199.32.0.0/11', '2a02:8000::/22'],
  sender: [SENDER_OFFICE_NETWORK],
  /** Apple-owned space missing from the egress snapshot: the list goes stale, MPP keeps fetching. */
  appleUnlisted: ['17.58.0.0/16', '17.57.144.0/22'],
} as const satisfies Record<string, readonly string[]>;

export type NetworkName = keyof typeof RANGES | 'apple';

/** Share of Apple egress fetches over IPv6 (the tracker has an AAAA record). */
const APPLE_IPV6_SHARE = 0.4;

/** Draws addresses from named networks; unlisted networks never return an address on a listed one. */
export class AddressBook {
  readonly #ranges = new Map<NetworkName, Cidr[]>();
  readonly #appleV4: Cidr[];
  readonly #appleV6: Cidr[];
  readonly #listed: CidrSet;

  constructor(appleEgress: readonly Cidr[]) {
    for (const [name, list] of Object.entries(RANGES)) this.#ranges.set(name as NetworkName, list.map(parseCidr));
    this.#appleV4 = appleEgress.filter((c) => c.family === 4);
    this.#appleV6 = appleEgress.filter((c) => c.family === 6);
    if (this.#appleV4.length === 0 && this.#appleV6.length === 0) throw new Error('the Apple egress list is empty');
    const listedNames: NetworkName[] = ['google', 'yahoo', 'microsoftEop', 'microsoftWeb', 'exchangeOnline', 'teams', 'barracuda', 'proofpoint', 'mimecast', 'ironport', 'isolation', 'sender'];
    this.#listed = new CidrSet([...appleEgress, ...listedNames.flatMap((n) => this.#ranges.get(n)!)]);
  }

  draw(rng: Rng, network: NetworkName): string {
    if (network === 'apple') {
      const v6 = this.#appleV6.length > 0 && (this.#appleV4.length === 0 || rng.chance(APPLE_IPV6_SHARE));
      return randomAddressIn(rng, rng.pick(v6 ? this.#appleV6 : this.#appleV4));
    }
    const ranges = this.#ranges.get(network)!;
    const unlisted = network === 'cloud' || network === 'slack' || network === 'residential' || network === 'mobile' || network === 'office';
    for (let attempt = 0; ; attempt++) {
      const ip = randomAddressIn(rng, rng.pick(ranges));
      if (!unlisted || !this.#listed.has(ip) || attempt > 50) return ip;
    }
  }
}
