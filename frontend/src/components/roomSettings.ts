// What the room settings form asks the server to change (`PATCH /api/rooms/{id}`): only the
// fields that differ, checked as the server checks them (name 1–100 characters, description
// at most 1,000, counted in code points). Pure.
import type { RoomChanges } from "../realtime/api";
import { charCount, type RoomInfo } from "../realtime/protocol";

export const MAX_ROOM_NAME = 100;
export const MAX_ROOM_DESCRIPTION = 1000;

export interface SettingsForm {
  name: string;
  description: string;
  isPrivate: boolean;
}

export type SettingsCheck = { ok: true; changes: RoomChanges } | { ok: false; error: string };

export function formOf(room: RoomInfo): SettingsForm {
  return { name: room.name, description: room.description, isPrivate: room.is_private };
}

export function checkSettings(room: RoomInfo, form: SettingsForm): SettingsCheck {
  const name = form.name.trim();
  const description = form.description.trim();
  if (name === "") return { ok: false, error: "Give the room a name." };
  if (charCount(name) > MAX_ROOM_NAME) return { ok: false, error: `The name is longer than ${MAX_ROOM_NAME} characters.` };
  if (charCount(description) > MAX_ROOM_DESCRIPTION) {
    return { ok: false, error: `The description is longer than ${MAX_ROOM_DESCRIPTION} characters.` };
  }
  const changes: RoomChanges = {};
  if (name !== room.name) changes.name = name;
  if (description !== room.description) changes.description = description;
  if (form.isPrivate !== room.is_private) changes.is_private = form.isPrivate;
  return { ok: true, changes };
}

/** The deletion is confirmed by typing the room's name (white space around it aside). */
export function confirmsDeletion(room: Pick<RoomInfo, "name">, typed: string): boolean {
  return typed.trim() === room.name.trim();
}
