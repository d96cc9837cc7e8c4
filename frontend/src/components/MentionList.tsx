import type { Member } from "../realtime/api";
import { Avatar } from "./Avatar";

interface Props {
  id: string;
  members: readonly Member[];
  active: number;
  onChoose: (member: Member) => void;
  onHover: (index: number) => void;
}

export const optionId = (listId: string, index: number) => `${listId}-${index}`;

/** The people an @mention may name: a listbox the composer's text box controls (aria-activedescendant). */
export function MentionList({ id, members, active, onChoose, onHover }: Props) {
  return (
    <ul className="mention-list" id={id} role="listbox" aria-label="Mention someone">
      {members.map((member, i) => (
        <li
          key={member.user_id}
          id={optionId(id, i)}
          role="option"
          aria-selected={i === active}
          className={`mention-list__option ${i === active ? "is-active" : ""}`}
          data-username={member.username}
          // The text box keeps the focus: choosing with the mouse must not blur it.
          onMouseDown={(e) => e.preventDefault()}
          onMouseEnter={() => onHover(i)}
          onClick={() => onChoose(member)}
        >
          <Avatar id={member.user_id} name={member.username} size={22} />
          <span className="mention-list__name">{member.display_name || member.username}</span>
          <span className="mention-list__username">@{member.username}</span>
        </li>
      ))}
    </ul>
  );
}
