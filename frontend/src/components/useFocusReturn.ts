import { useEffect } from "react";
import { focusMain } from "./focus";

/**
 * An overlay (a dialog, a panel) gives the focus back when it goes: to `back()` if given, else to
 * what had the focus when it opened, else to the main content. Only when the focus went with it
 * (it is on <body>): a close that took the user somewhere else (a room, a result) keeps the focus
 * where that put it. Call it before the effect that moves the focus into the overlay, so that it
 * notes the opener.
 */
export function useFocusReturn(back?: () => HTMLElement | null | undefined): void {
  useEffect(() => {
    const opener = document.activeElement;
    return () => {
      // A passive effect's cleanup runs after the overlay left the page: the focus, if it was
      // inside, has fallen back to <body> by now.
      const now = document.activeElement;
      if (now !== null && now !== document.body) return;
      const target = back?.() ?? (opener instanceof HTMLElement && opener.isConnected ? opener : null);
      target?.focus();
      // Gone, or hidden (the sidebar of a phone that went on to a room): the main content then.
      if (document.activeElement === null || document.activeElement === document.body) focusMain();
    };
  }, []); // the opener of this opening, once
}
