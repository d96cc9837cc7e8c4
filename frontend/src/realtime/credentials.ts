// A socket's access token (SPEC §4 `auth`): which one the server holds, whether a renewed one
// is waiting to be handed over, and what to do when the server refuses ours.

export type Refusal = "reconnect" | "ended" | "later";

export class SocketCredentials {
  private held: string | null = null;
  private renewedAfterRefusal = false;

  constructor(
    private readonly getToken: () => string | null,
    private readonly renewToken: () => Promise<string | null>,
  ) {}

  /** A socket was opened with this token. */
  opened(token: string): void {
    this.held = token;
  }

  /** The server accepted the connection: a later refusal may be renewed again. */
  connected(): void {
    this.renewedAfterRefusal = false;
  }

  /** The token to send in an `auth` frame, if it changed since the server got one. */
  pending(): string | null {
    const token = this.getToken();
    return token !== null && token !== this.held ? token : null;
  }

  handedOver(token: string): void {
    this.held = token;
  }

  /**
   * The server closed with 1008 for the token: renew once and reconnect; a renewed token
   * refused as well, or a session that ended, is the end; an unreachable server, later.
   */
  async refused(): Promise<Refusal> {
    if (this.renewedAfterRefusal) return "ended";
    this.renewedAfterRefusal = true;
    try {
      return (await this.renewToken()) === null ? "ended" : "reconnect";
    } catch {
      this.renewedAfterRefusal = false;
      return "later";
    }
  }
}
