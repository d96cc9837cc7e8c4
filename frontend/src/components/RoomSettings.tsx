import { useRef, useState } from "react";
import type { RoomInfo } from "../realtime/protocol";
import { Icon } from "./Icon";
import { RoomSettingsDialog } from "./RoomSettingsDialog";

/** The room header's settings control, shown to the owner and admins of a room (not a DM). */
export function RoomSettings({ room, isOwner }: { room: RoomInfo; isOwner: boolean }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={button}
        type="button"
        className="button button--ghost button--small"
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
        title="Room settings"
      >
        <Icon name="settings" size={18} />
        <span className="visually-hidden">Room settings</span>
      </button>
      {open && <RoomSettingsDialog room={room} isOwner={isOwner} onClose={() => setOpen(false)} opener={button} />}
    </>
  );
}
