import type { KeyboardEvent } from "react";

const CANDIDATES = "a[href], button, input, select, textarea, [tabindex]";

/** The controls inside `root` that Tab stops at, in order (one radio button per group). */
export function tabStops(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(CANDIDATES)).filter((el) => {
    if (el.tabIndex < 0 || el.matches(":disabled") || el.closest("[inert]") !== null) return false;
    if (el instanceof HTMLInputElement && el.type === "hidden") return false;
    if (el instanceof HTMLInputElement && el.type === "radio" && el.name !== "" && !el.checked) {
      const group = Array.from(root.querySelectorAll<HTMLInputElement>("input[type=radio]")).filter((r) => r.name === el.name);
      if (group.some((r) => r.checked) || group[0] !== el) return false;
    }
    return el.getClientRects().length > 0;
  });
}

/**
 * In a modal dialog, Tab from its last control goes round to its first and Shift+Tab from the
 * first to the last: a modal <dialog> alone lets the focus leave the page for the browser's own
 * controls, and come back to <body>.
 */
export function keepTabInside(e: KeyboardEvent, root: HTMLElement | null): void {
  if (e.key !== "Tab" || e.altKey || e.ctrlKey || e.metaKey || root === null) return;
  const stops = tabStops(root);
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (first === undefined || last === undefined) {
    e.preventDefault();
    return;
  }
  const at = document.activeElement;
  if (e.shiftKey && (at === first || at === root)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && at === last) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * The focus to the screen's main content (<main id="main">, the skip link's target), for when
 * what had it is gone with nothing to give it back to: a deleted room, a hidden sidebar.
 */
export function focusMain(): void {
  const main = document.getElementById("main");
  if (main === null) return;
  if (!main.hasAttribute("tabindex")) main.tabIndex = -1;
  main.focus({ preventScroll: true });
}
