// Dead-connection detection. A socket to a vanished server (laptop asleep, network changed)
// may never report a close; silence is the only sign. Before `connected` the wait is bounded
// by a connect timeout; after it, a ping goes out every interval and the connection counts
// as dead when nothing at all arrived for interval + pong timeout.
import type { Clock } from "./clock";

export interface WatchdogTimings {
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
}

export class Watchdog {
  private timer: unknown = null;
  private lastFrameAt = 0;
  private live = false;

  constructor(
    private readonly clock: Clock,
    private readonly timings: WatchdogTimings,
    private readonly ping: () => void,
    private readonly dead: (reason: string) => void,
  ) {}

  /** A socket was just opened. */
  opening(): void {
    this.live = false;
    this.lastFrameAt = this.clock.now();
    this.arm(this.timings.connectTimeoutMs);
  }

  /** `connected` arrived. */
  connected(): void {
    this.live = true;
    this.lastFrameAt = this.clock.now();
    this.arm(this.timings.pingIntervalMs);
  }

  /** Any frame at all proves the connection alive. */
  frame(): void {
    this.lastFrameAt = this.clock.now();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = null;
    if (!this.live) {
      this.dead("connect timeout");
      return;
    }
    const { pingIntervalMs, pongTimeoutMs } = this.timings;
    const limit = pingIntervalMs + pongTimeoutMs;
    const silentFor = this.clock.now() - this.lastFrameAt;
    if (silentFor >= limit) {
      this.dead("heartbeat timeout");
      return;
    }
    this.ping();
    this.arm(Math.min(pingIntervalMs, limit - silentFor));
  }
}
