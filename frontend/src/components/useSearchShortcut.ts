import { useEffect } from "react";
import { search } from "../services";
import { SEARCH_INPUT_ID } from "./SearchPanel";

/** Where "/" is typed, not a shortcut: text fields of any kind. */
function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"].includes(target.type);
}

/**
 * The search panel opens with "/" (outside text fields) and with Ctrl+K or Cmd+K (anywhere);
 * while it is open, they go back to its search box. Not over another open dialog.
 */
export function useSearchShortcut(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing || e.altKey) return;
      const commandK = (e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "k";
      const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !isTextField(e.target);
      if (!commandK && !slash) return;
      const box = document.getElementById(SEARCH_INPUT_ID);
      if (box === null && document.querySelector("dialog[open]") !== null) return;
      e.preventDefault();
      if (box instanceof HTMLInputElement) {
        box.focus();
        box.select();
      } else {
        search.open();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [enabled]);
}
