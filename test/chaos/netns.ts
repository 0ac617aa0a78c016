/**
 * A network between the chaos suite's master and some of its workers that the suite can damage:
 * a network namespace joined to this host by a veth pair, with `tc netem` on both ends for delay
 * and loss, and a partition (every packet dropped both ways) that heals. Needs root (or
 * CAP_NET_ADMIN), iproute2 and iptables; `netnsAvailable` says whether this machine allows it, and
 * why not. On a kernel without netem (some VM kernels leave sch_netem out), delay is a token
 * bucket (`tc tbf`) that queues what exceeds a low rate, and loss is iptables' random `statistic`
 * match in the namespace; the fault log says which was used.
 */
import { execFileSync } from 'node:child_process';

const run = (args: string[]) => execFileSync(args[0], args.slice(1), { stdio: 'pipe', timeout: 10_000 });

export type NetFault = 'delay' | 'loss' | 'partition';

/** Whether a namespace can be made here; null when it can, else the reason. */
export function netnsAvailable(): string | null {
  const probe = `nucleus-probe-${process.pid}`;
  try {
    run(['ip', 'netns', 'add', probe]);
  } catch (error) {
    return `cannot create a network namespace (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim().split('\n')[0]})`;
  }
  try {
    run(['ip', 'netns', 'del', probe]);
  } catch {
    // gone or not, the probe told what it had to
  }
  for (const [tool, args] of [['tc', ['-V']], ['iptables', ['--version']]] as const) {
    try {
      run([tool, ...args]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}

export class NetworkNamespace {
  readonly name: string;
  private readonly hostDev: string;
  private readonly nsDev: string;
  readonly hostAddress: string;
  private fault: NetFault | null = null;
  private netem = false;

  /** `index` 1..250 keeps the names and the subnet of concurrent runs apart. */
  constructor(index: number) {
    const tag = `${process.pid % 10_000}x${index}`;
    this.name = `nucleus-chaos-${tag}`;
    this.hostDev = `nch${tag}`.slice(0, 15);
    this.nsDev = `ncn${tag}`.slice(0, 15);
    const subnet = `10.${200 + (process.pid % 50)}.${index}`;
    this.hostAddress = `${subnet}.1`;
    this.create(subnet);
  }

  /** The prefix that runs a command inside the namespace. */
  get prefix(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  private create(subnet: string): void {
    this.destroy();
    run(['ip', 'netns', 'add', this.name]);
    run(['ip', 'link', 'add', this.hostDev, 'type', 'veth', 'peer', 'name', this.nsDev]);
    run(['ip', 'link', 'set', this.nsDev, 'netns', this.name]);
    run(['ip', 'addr', 'add', `${subnet}.1/24`, 'dev', this.hostDev]);
    run(['ip', 'link', 'set', this.hostDev, 'up']);
    run([...this.prefix, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', this.nsDev]);
    run([...this.prefix, 'ip', 'link', 'set', this.nsDev, 'up']);
    run([...this.prefix, 'ip', 'link', 'set', 'lo', 'up']);
    try {
      run([...this.prefix, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '0ms']);
      run([...this.prefix, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
      this.netem = true;
    } catch {
      this.netem = false;
    }
  }

  private clear(): void {
    for (const [side, dev] of [[[] as string[], this.hostDev], [this.prefix, this.nsDev]] as const) {
      try {
        run([...side, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
      } catch {
        // no qdisc set
      }
    }
    run([...this.prefix, 'iptables', '-F']);
  }

  private qdisc(args: string[]): void {
    run(['tc', 'qdisc', 'add', 'dev', this.hostDev, 'root', ...args]);
    run([...this.prefix, 'tc', 'qdisc', 'add', 'dev', this.nsDev, 'root', ...args]);
  }



  /** Applies one fault to both directions (replacing the one before), or heals with null. */
  set(fault: NetFault | null, rng?: { int(lo: number, hi: number): number }): string {
    this.clear();
    this.fault = fault;
    if (fault === null) return 'healed';
    if (fault === 'partition') {
      this.drop([]);
      return 'partition (all packets dropped both ways)';
    }
    if (fault === 'delay') {
      if (this.netem) {
        const ms = rng?.int(50, 400) ?? 200;
        this.qdisc(['netem', 'delay', `${ms}ms`, `${Math.round(ms / 4)}ms`]);
        return `netem delay ${ms}ms`;
      }
      const kbit = rng?.int(200, 2_000) ?? 500;
      this.qdisc(['tbf', 'rate', `${kbit}kbit`, 'burst', '32kbit', 'latency', '2s']);
      return `tbf ${kbit}kbit (queueing delay; no netem in this kernel)`;
    }
    const percent = rng?.int(5, 20) ?? 10;
    if (this.netem) {
      this.qdisc(['netem', 'loss', `${percent}%`]);
      return `netem loss ${percent}%`;
    }
    this.drop(['-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100)]);
    return `iptables random loss ${percent}% (no netem in this kernel)`;
  }

  /** Drops what matches, in and out of the namespace (its loopback untouched). */
  private drop(match: string[]): void {
    run([...this.prefix, 'iptables', '-A', 'INPUT', '!', '-i', 'lo', ...match, '-j', 'DROP']);
    run([...this.prefix, 'iptables', '-A', 'OUTPUT', '!', '-o', 'lo', ...match, '-j', 'DROP']);
  }

  get current(): NetFault | null {
    return this.fault;
  }

  destroy(): void {
    try {
      run(['ip', 'link', 'del', this.hostDev]);
    } catch {
      // already gone (deleting one end removes the pair)
    }
    try {
      run(['ip', 'netns', 'del', this.name]);
    } catch {
      // already gone
    }
  }
}
