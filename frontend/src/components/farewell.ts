import type { RemovalReason } from "../realtime/protocol";

/** Why a room that was on screen went away, for the notice on the room list. */
export function farewell(reason: RemovalReason, name: string): string {
  switch (reason) {
    case "left":
      return `You left ${name}.`;
    case "removed":
      return `You were removed from ${name}.`;
    case "deleted":
      return `${name} was deleted.`;
  }
}
