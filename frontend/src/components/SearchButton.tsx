import { search } from "../services";
import { Icon } from "./Icon";

/**
 * Opens the message search: a box-like button in the sidebar (`wide`, with its shortcut), an
 * icon in a room's header (where a phone, which shows no sidebar there, finds it).
 */
export function SearchButton({ wide = false }: { wide?: boolean }) {
  return (
    <button
      type="button"
      className={wide ? "search-button search-button--wide" : "button button--ghost button--small search-button"}
      aria-keyshortcuts="/ Control+K Meta+K"
      aria-label={wide ? undefined : "Search messages"}
      title={wide ? undefined : "Search messages (/ or Ctrl+K)"}
      onClick={() => search.open()}
    >
      <Icon name="search" size={wide ? 16 : 18} />
      {wide && (
        <>
          <span className="search-button__label">Search messages</span>
          <kbd aria-hidden="true">/</kbd>
        </>
      )}
    </button>
  );
}
