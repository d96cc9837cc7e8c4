// Display helpers: times, initials, avatar colours.

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Date and time in full, for tooltips ("Edited …"). */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** The whole date and time, to the second, for a message's time on hover. */
export function formatFullDateTime(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: "full", timeStyle: "medium" });
}

export function formatDay(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" });
}

/** A short time for the room list: the time today, else the date. */
export function formatShort(iso: string): string {
  const date = new Date(iso);
  if (date.toDateString() === new Date().toDateString()) return formatTime(iso);
  return date.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  const first = parts[0]?.[0] ?? name[0] ?? "?";
  const second = parts[1]?.[0] ?? "";
  return (first + second).toUpperCase();
}

/** A hue from a stable key (a user's id): the same person has the same colour everywhere. */
export function avatarHue(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return hash % 360;
}
