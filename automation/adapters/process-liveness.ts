import { hostname } from "node:os";
import type { LeaseHolder } from "../ports/run-store";

/**
 * True only when a lease holder is provably dead: it ran on this host and its pid no longer
 * exists. A holder on another host is never declared dead here; its lease expires by itself.
 */
export function isHolderDeadOnThisHost(holder: LeaseHolder, host = hostname()): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
