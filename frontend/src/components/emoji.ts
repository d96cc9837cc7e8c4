// The built-in reaction set and the picker's keyboard moves: no emoji library, no emoji font assumed.

export const REACTION_EMOJI: readonly { emoji: string; label: string }[] = [
  { emoji: "👍", label: "thumbs up" },
  { emoji: "👎", label: "thumbs down" },
  { emoji: "❤️", label: "heart" },
  { emoji: "😂", label: "tears of joy" },
  { emoji: "😄", label: "smile" },
  { emoji: "😮", label: "surprised" },
  { emoji: "😢", label: "sad" },
  { emoji: "🤔", label: "thinking" },
  { emoji: "🎉", label: "party" },
  { emoji: "🙏", label: "thank you" },
  { emoji: "👏", label: "clapping" },
  { emoji: "🔥", label: "fire" },
  { emoji: "🚀", label: "rocket" },
  { emoji: "👀", label: "eyes" },
  { emoji: "✅", label: "done" },
  { emoji: "💯", label: "hundred" },
];

export const PICKER_COLUMNS = 8;

/** Where focus goes in a grid of `count` cells, `columns` wide, for a key; null for other keys. */
export function gridMove(key: string, index: number, count: number, columns = PICKER_COLUMNS): number | null {
  const clamp = (i: number) => Math.min(count - 1, Math.max(0, i));
  switch (key) {
    case "ArrowRight":
      return (index + 1) % count;
    case "ArrowLeft":
      return (index - 1 + count) % count;
    case "ArrowDown":
      return index + columns < count ? index + columns : index;
    case "ArrowUp":
      return index - columns >= 0 ? index - columns : index;
    case "Home":
      return 0;
    case "End":
      return clamp(count - 1);
    default:
      return null;
  }
}

/** Who reacted, by username, for a chip's tooltip; ids we cannot name are counted. */
export function reactorNames(userIds: readonly string[], usernames: ReadonlyMap<string, string>): string {
  const known = userIds.map((id) => usernames.get(id)).filter((name): name is string => name !== undefined);
  const unknown = userIds.length - known.length;
  if (unknown > 0) known.push(unknown === 1 ? "1 other" : `${unknown} others`);
  return known.join(", ");
}
