import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A minimal QMP client: QEMU's JSON machine protocol over a unix socket, one JSON object per
 * line. After the greeting, `qmp_capabilities` leaves negotiation mode; each command is answered
 * by `{"return": ...}` or `{"error": {"class", "desc"}}` in order, with asynchronous
 * `{"event": ...}` lines interleaved (kept in `events`). See QEMU's docs/interop/qmp-spec.
 */
export class QmpError extends Error {
  override readonly name = "QmpError";
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  command: string;
}

export class QmpClient {
  readonly events: { event: string; timestamp: { seconds: number; microseconds: number } }[] = [];
  private buffer = "";
  private readonly waiting: Waiter[] = [];
  private greeted: Promise<void>;
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    let onGreeting: () => void = () => {};
    this.greeted = new Promise((resolve) => {
      onGreeting = resolve;
    });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line === "") continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ("QMP" in message) onGreeting();
        else if ("event" in message) this.events.push(message as QmpClient["events"][number]);
        else {
          const waiter = this.waiting.shift();
          if (!waiter) continue;
          if ("error" in message) {
            const error = message.error as { class: string; desc: string };
            waiter.reject(new QmpError(`${waiter.command}: ${error.class}: ${error.desc}`));
          } else waiter.resolve(message.return);
        }
      }
    });
    const fail = (error: Error) => {
      this.closed = error;
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new QmpError("QMP connection closed")));
  }

  /** Connects to `path`, retrying while QEMU has not created the socket yet. */
  static async connect(path: string, timeoutMs = 20_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once("connect", () => resolve(s));
          s.once("error", reject);
        });
        const client = new QmpClient(socket);
        await client.greeted;
        await client.execute("qmp_capabilities");
        return client;
      } catch (error) {
        if (Date.now() > deadline)
          throw new QmpError(`cannot connect to QMP at ${path}: ${(error as Error).message}`);
        await sleep(100);
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (value: unknown) => void, reject, command });
      this.socket.write(
        `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
