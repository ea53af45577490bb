// Every socket a process (and its descendants) listens on, read from /proc: the process's open
// file descriptors name socket inodes, /proc/<pid>/net/{tcp,tcp6,udp,udp6} map inodes to addresses.
// Independent of what the server claims to open, so a port nobody asked for shows up too.
import * as fs from 'node:fs';

export interface ListeningSocket {
  protocol: 'tcp' | 'udp';
  /** "127.0.0.1", "::1", "0.0.0.0", "::" ... */
  address: string;
  port: number;
  pid: number;
}

/** The pid and every process below it (servers may fork helpers). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ")" ends it.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** /proc/net addresses are hex in host (little-endian) byte order, per 32-bit word. */
export function decodeProcAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse());
  const bytes = Buffer.concat(words);
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // IPv4-mapped (::ffff:a.b.c.d) reads better as the IPv4 address it is.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return [...bytes.subarray(12)].join('.');
  const full = groups.join(':');
  return full === '0:0:0:0:0:0:0:0' ? '::' : full === '0:0:0:0:0:0:0:1' ? '::1' : full;
}

export function listeningSockets(rootPid: number): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const pid of processTree(rootPid)) {
    const inodes = socketInodes(pid);
    for (const table of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue; // no IPv6 in this kernel
      }
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10) continue;
        const [local, , state] = cols.slice(1, 4);
        const inode = cols[9];
        // TCP: 0A = LISTEN. UDP has no listen state: any bound socket (07 = unconnected) receives.
        const listening = table.startsWith('tcp') ? state === '0A' : state === '07';
        if (!listening || !inodes.has(inode)) continue;
        const [addrHex, portHex] = local.split(':');
        out.push({
          protocol: table.startsWith('tcp') ? 'tcp' : 'udp',
          address: decodeProcAddress(addrHex),
          port: parseInt(portHex, 16),
          pid,
        });
      }
    }
  }
  return out;
}

/** 127.0.0.0/8 or ::1: reachable from this machine only. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}
