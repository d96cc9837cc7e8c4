import { avatarHue, initials } from "../format";

interface Props {
  /** Who is drawn: their initials from `name` (the username), their colour from `id`. */
  name: string;
  /** The user's id, when known: one colour per person wherever they appear. */
  id?: string | null;
  online?: boolean;
  size?: number;
}

/** One avatar per user: the same initials and colour in the messages, the member list and the sidebar. */
export function Avatar({ name, id, online, size = 36 }: Props) {
  const hue = avatarHue(id || name);
  return (
    <span
      className="avatar"
      aria-hidden="true"
      data-avatar-for={id || undefined}
      style={{ width: size, height: size, fontSize: size * 0.4, background: `hsl(${hue} 55% 30%)` }}
    >
      {initials(name)}
      {online !== undefined && <span className={`avatar__presence ${online ? "is-online" : ""}`} />}
    </span>
  );
}
