import { avatarHue, initials } from "../format";

export function Avatar({ name, online, size = 36 }: { name: string; online?: boolean; size?: number }) {
  const hue = avatarHue(name);
  return (
    <span
      className="avatar"
      aria-hidden="true"
      style={{ width: size, height: size, fontSize: size * 0.4, background: `hsl(${hue} 55% 45%)` }}
    >
      {initials(name)}
      {online !== undefined && <span className={`avatar__presence ${online ? "is-online" : ""}`} />}
    </span>
  );
}
