/**
 * Waits for a quiet machine before a run. The machine is shared: a neighbour's build halves a
 * wall-clock rate, and benches that measure their figure and its baseline one after the other
 * turn that into a wrong ratio. The load average lags by minutes (and counts our own last run),
 * so this samples the CPU busy share of the whole machine over a few seconds instead.
 */
import { cpus } from 'node:os';

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

/** Share (0..1) of all cores' time spent busy over the next `ms`. */
export async function busyShare(ms = 5000): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * Resolves once the machine was at most `maxBusy` busy over a 5 s sample, or after `maxWaitMs`.
 * Returns a remark for the run when it gave up waiting.
 */
export async function waitForQuiet(maxBusy: number, maxWaitMs: number, log: (s: string) => void): Promise<string | undefined> {
  const deadline = Date.now() + maxWaitMs;
  let share = await busyShare();
  while (share > maxBusy) {
    if (Date.now() >= deadline)
      return `started on a busy machine: CPU ${Math.round(share * 100)} % busy after waiting ${Math.round(maxWaitMs / 1000)} s for ≤ ${Math.round(maxBusy * 100)} %`;
    log(`machine ${Math.round(share * 100)} % busy (want ≤ ${Math.round(maxBusy * 100)} %): waiting`);
    await new Promise((r) => setTimeout(r, 10_000));
    share = await busyShare();
  }
  return undefined;
}
