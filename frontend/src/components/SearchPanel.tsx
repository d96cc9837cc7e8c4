import { useEffect, useMemo, useRef, type KeyboardEvent } from "react";
import { useAppState } from "../hooks";
import { roomDisplayName } from "../realtime/names";
import type { Message } from "../realtime/protocol";
import { MAX_QUERY_LENGTH } from "../realtime/query";
import { groupByRoom, type SearchState } from "../realtime/search";
import { search } from "../services";
import { keepTabInside } from "./focus";
import { Icon } from "./Icon";
import { SearchResults } from "./SearchResults";

export const SEARCH_INPUT_ID = "search-messages";
const RESULT = "a.search-result";

/**
 * The message search, a modal panel over the app (full screen on a phone): the box searches
 * as you type; results are grouped by room and open the room at the message. Arrow keys move
 * between the box and the results, Tab as usual; Escape closes it and gives the focus back.
 */
export function SearchPanel({ currentRoomId }: { currentRoomId: string | null }) {
  const state = useAppState((s) => s.search);
  const rooms = useAppState((s) => s.rooms);
  const peers = useAppState((s) => s.dmPeers);
  const me = useAppState((s) => s.session?.user ?? null);
  const ref = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const results = useRef<HTMLDivElement>(null);
  const returnTo = useRef<Element | null>(null);
  /** After "Load more": the first new result takes the focus from the button. */
  const focusAt = useRef<number | null>(null);

  // A modal <dialog>: the rest of the page is inert while it is open. Unmounting takes it out
  // of the page, so no close() here (its event would close a remounted one).
  useEffect(() => {
    returnTo.current = document.activeElement;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    input.current?.focus();
    input.current?.select();
  }, []);

  // A scope left over from another room would surprise: searching starts from every room.
  useEffect(() => {
    if (state.roomId !== null && state.roomId !== currentRoomId) search.scope(null);
  }, [state.roomId, currentRoomId]);

  useEffect(() => {
    const at = focusAt.current;
    if (at === null || state.loadingMore) return;
    focusAt.current = null;
    resultLinks(results.current)[at]?.focus();
  }, [state.results.length, state.loadingMore]);

  // Back online after "offline": try again by itself.
  useEffect(() => {
    if (state.error?.kind !== "offline") return;
    const online = () => search.retry();
    window.addEventListener("online", online);
    return () => window.removeEventListener("online", online);
  }, [state.error]);

  const groups = useMemo(() => {
    const byId = new Map(rooms.map((r) => [r.id, r]));
    return groupByRoom(state.results, (roomId) => {
      const room = byId.get(roomId);
      return room && me ? roomDisplayName(room, me, peers) : "Unknown room";
    });
  }, [state.results, rooms, peers, me]);
  const kinds = useMemo(
    () => new Map(rooms.map((r) => [r.id, { isPrivate: r.is_private, isDm: r.kind === "dm" }])),
    [rooms],
  );
  const current = rooms.find((r) => r.id === currentRoomId);
  const currentName = current && me ? roomDisplayName(current, me, peers) : null;

  const close = (restoreFocus: boolean) => {
    // Out of the top layer first: while the dialog is modal, the page behind it takes no focus.
    ref.current?.close();
    search.close();
    const back = returnTo.current;
    if (restoreFocus && back instanceof HTMLElement && back.isConnected) back.focus();
  };

  // The room takes the focus to the message when it shows it.
  const open = (_message: Message) => close(false);

  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    keepTabInside(e, ref.current);
    if (e.key === "Escape") {
      e.preventDefault(); // also keeps the search box from only clearing itself
      close(true);
      return;
    }
    const links = resultLinks(results.current);
    const target = e.target as HTMLElement;
    const at = links.indexOf(target as HTMLAnchorElement);
    const inBox = target === input.current;
    let next: HTMLElement | null | undefined;
    if (e.key === "ArrowDown") next = inBox ? links[0] : at >= 0 ? links[at + 1] : undefined;
    else if (e.key === "ArrowUp") next = at === 0 ? input.current : at > 0 ? links[at - 1] : undefined;
    else if (e.key === "Home" && at >= 0) next = links[0];
    else if (e.key === "End" && at >= 0) next = links[links.length - 1];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };

  const loadMore = () => {
    focusAt.current = state.results.length;
    search.loadMore();
  };

  const busy = state.status === "searching" || state.loadingMore;
  return (
    <dialog
      ref={ref}
      className="dialog search-panel"
      aria-label="Search messages"
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault();
        close(true);
      }}
      onClick={(e) => e.target === e.currentTarget && close(true)} // the backdrop
    >
      <div className="search-panel__inner">
        <div className="search-panel__bar">
          <Icon name="search" size={20} className="search-panel__icon" />
          <input
            ref={input}
            id={SEARCH_INPUT_ID}
            className="search-panel__input"
            type="search"
            aria-label="Search messages"
            aria-describedby="search-status"
            placeholder="Search messages"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            enterKeyHint="search"
            maxLength={MAX_QUERY_LENGTH}
            value={state.text}
            onChange={(e) => search.input(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && search.submit()}
          />
          <button type="button" className="button button--ghost button--small" onClick={() => close(true)}>
            Close
          </button>
        </div>
        {currentName !== null && currentRoomId !== null && (
          <label className="search-panel__scope">
            <input
              type="checkbox"
              checked={state.roomId === currentRoomId}
              onChange={(e) => search.scope(e.target.checked ? currentRoomId : null)}
            />
            Only in {current?.kind === "dm" ? currentName : `#${currentName}`}
          </label>
        )}
        <div className="search-panel__results" ref={results} aria-busy={busy}>
          <p id="search-status" className="search-panel__status" role="status">
            <StatusText state={state} />
          </p>
          {state.status === "error" && state.error?.kind !== "rate" && state.error?.kind !== "invalid" && (
            <button type="button" className="button button--small" onClick={() => search.retry()}>
              Try again
            </button>
          )}
          <SearchResults groups={groups} terms={state.terms} kinds={kinds} onOpen={open} />
          {state.status === "done" && state.error !== null && (
            <p className="form-error search-panel__more-error" role="alert">
              {state.error.message}{" "}
              {state.error.kind !== "rate" && (
                <button type="button" className="link" onClick={() => search.retry()}>
                  Try again
                </button>
              )}
            </p>
          )}
          {state.status === "done" && state.nextCursor !== null && (
            <button
              type="button"
              className="button button--small search-panel__more"
              onClick={loadMore}
              disabled={state.loadingMore}
            >
              {state.loadingMore ? "Loading more…" : "Load more results"}
            </button>
          )}
        </div>
        <p className="search-panel__keys" aria-hidden="true">
          <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>Esc</kbd> close
        </p>
      </div>
    </dialog>
  );
}

function StatusText({ state }: { state: SearchState }) {
  switch (state.status) {
    case "idle":
      return <>Search the messages of your rooms and conversations. Put "a phrase" in quotes.</>;
    case "short":
      return <>Type at least 3 characters.</>;
    case "long":
      return <>A search can be at most {MAX_QUERY_LENGTH} characters.</>;
    case "searching":
      return <>Searching…</>;
    case "error":
      return <span className="search-panel__error">{state.error?.message ?? "Search failed."}</span>;
    case "done": {
      const n = state.results.length;
      if (n === 0) return <>No messages match “{state.text.trim()}”.</>;
      const more = state.nextCursor !== null ? " so far" : "";
      return <>{n === 1 ? "1 message" : `${n} messages`} found{more}.</>;
    }
  }
}

function resultLinks(root: HTMLElement | null): HTMLAnchorElement[] {
  return Array.from(root?.querySelectorAll<HTMLAnchorElement>(RESULT) ?? []);
}
