import type { ReactNode } from "react";
import { linkProps } from "../router";
import { Icon } from "./Icon";

/** The top bar of the main pane; on a phone its back link returns to the room list. */
export function PaneHeader({ title, children, subtitle }: { title: ReactNode; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <header className="pane__header">
      <a className="back-link" aria-label="Back to rooms" {...linkProps("/")}>
        <Icon name="back" size={26} />
      </a>
      <div className="pane__titles">
        <h1 className="pane__title">{title}</h1>
        {subtitle && <p className="pane__subtitle">{subtitle}</p>}
      </div>
      {children && <div className="pane__tools">{children}</div>}
    </header>
  );
}
