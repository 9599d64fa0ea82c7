import { Server as NetServer, type Socket } from "node:net";
import type { RequestListener, Server } from "node:http";

/**
 * Graceful shutdown of a keep-alive HTTP server without resetting a connection under a client.
 *
 * A keep-alive connection that looks idle to the server may carry a request the client has already sent: closing
 * it then resets that request. So on shutdown every answer, in flight or still to come, says `connection: close`
 * (the client then opens no further request on it and Node closes it after the answer), and a connection is only
 * closed by the server once it has been quiet for `quietMs`. http.Server.close() cannot be used to stop accepting:
 * since Node 19 it also destroys every idle connection at once, which is exactly that race.
 */
export class ConnectionDrain {
  private closing = false;
  private readonly sockets = new Map<Socket, { active: number; idleSince: number }>();
  private readonly inFlight = new Set<Parameters<RequestListener>[1]>();

  constructor(
    private readonly server: Server,
    private readonly quietMs = 1000,
  ) {
    server.on("connection", (socket: Socket) => {
      this.sockets.set(socket, { active: 0, idleSince: performance.now() });
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  /** `listener`, counting requests per connection and marking answers `connection: close` once closing. */
  track(listener: RequestListener): RequestListener {
    return (req, res) => {
      const state = this.sockets.get(req.socket);
      if (state) state.active++;
      this.inFlight.add(res);
      res.once("close", () => {
        this.inFlight.delete(res);
        if (state) {
          state.active--;
          state.idleSince = performance.now();
        }
      });
      if (this.closing) res.setHeader("connection", "close");
      listener(req, res);
    };
  }

  /**
   * Stops accepting, lets every connection end after its next answer or once quiet, and force-closes whatever is
   * left after `graceMs`. Resolves when no connection is left.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader("connection", "close");
    const drained = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    const sweeper = setInterval(() => this.closeQuiet(), Math.min(25, this.quietMs));
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    this.closeQuiet();
    try {
      await drained;
    } finally {
      clearInterval(sweeper);
      clearTimeout(timer);
    }
  }

  private closeQuiet(): void {
    const now = performance.now();
    for (const [socket, state] of this.sockets) {
      if (state.active === 0 && now - state.idleSince >= this.quietMs) socket.destroy();
    }
  }
}
